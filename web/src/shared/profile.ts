import type { MessageKey } from './i18n';
import type { ProfileField } from './types';

/** How each optional profile field is named on screen (the members module's list). */
export const FIELD_LABEL: Record<ProfileField, MessageKey> = {
  firstName: 'member.firstName',
  lastName: 'member.lastName',
  birthDate: 'member.birthDate',
  city: 'member.city',
  gender: 'member.gender',
  email: 'member.email',
  nationalCode: 'member.nationalCode',
  maritalStatus: 'member.maritalStatus',
  education: 'member.education',
  interests: 'member.interests',
};
