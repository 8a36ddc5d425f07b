export { RewardService, FULFILMENT_PURPOSE, type RewardDeps, type DrawTicketHook, type RedemptionView, type RewardSettings } from './service.js';
export { rewardRoutes } from './routes.js';
export { RewardCreateSchema, REWARD_TYPES, type Reward, type RewardType, type RewardCreate } from './domain.js';
export { burnsRefundHook } from './refund.js';
