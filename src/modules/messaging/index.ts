export { Notifier } from './service.js';
