/** Who is calling. Systems hold API keys; people hold session tokens. */
export const INTEGRATION_ROLES = ['integration', 'pos', 'partner', 'merchant', 'dealer'] as const;
export const OPERATOR_ROLES = ['owner', 'manager', 'analyst', 'support'] as const;
export type IntegrationRole = (typeof INTEGRATION_ROLES)[number];
export type OperatorRole = (typeof OPERATOR_ROLES)[number];
export type Role = IntegrationRole | OperatorRole | 'member';

export interface Principal {
  clubId: string;
  kind: 'apikey' | 'operator' | 'member';
  role: Role;
  /** api key id, operator id or member id */
  subjectId: string;
  /** For the audit log: `operator:opr_…`, `apikey:key_…`, `member:mbr_…` */
  actor: string;
}

/** Role sets used by routes. Kept here so every module speaks the same access language. */
export const ROLES = {
  /** Systems that post events and read balances at checkout. */
  systems: ['integration', 'pos'] as const,
  /** Operators who change things. */
  operatorsWrite: ['owner', 'manager'] as const,
  /** Operators who may read member data (support answers calls). */
  operatorsRead: ['owner', 'manager', 'analyst', 'support'] as const,
  owner: ['owner'] as const,
  member: ['member'] as const,
} satisfies Record<string, readonly Role[]>;

export const anyOf = (...sets: (readonly Role[])[]): Role[] => [...new Set(sets.flat())];
