import { uuidv7 } from 'uuidv7';

/** Prefixed, time-ordered ids readable in logs: mbr_0193…, evt_…, jnl_…, lot_… */
export type IdPrefix =
  | 'clb' | 'mbr' | 'evt' | 'jnl' | 'lot' | 'hld' | 'key' | 'opr' | 'otp'
  | 'rul' | 'tie' | 'rwd' | 'rdm' | 'cpn' | 'fst' | 'drw' | 'bdg' | 'chl' | 'ptn' | 'ref' | 'whk' | 'brn' | 'stk' | 'srk';

export const newId = (prefix: IdPrefix): string => `${prefix}_${uuidv7().replaceAll('-', '')}`;
