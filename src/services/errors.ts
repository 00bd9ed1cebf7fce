/**
 * The one catalogue of failures a user can meet. Services throw `ServiceError(kind)`; the API
 * adapter renders the kind as QualtricsErrorCode + HTTP status + message, the web pages show the
 * same message. Codes and texts marked (spec) are the recorded Qualtrics ones and must not change;
 * the others are Insight's choices where the spec is silent, documented on the API reference page.
 */
export const ERRORS = {
  InvalidParameter: { code: 'ESRV35', http: 400, message: 'Invalid request. Missing or invalid parameter {param}.' }, // spec
  UnknownRequest: { code: 'ESRV05', http: 404, message: 'Server Request Type Unknown or Not Defined in Security.xml' }, // spec
  UnknownSurvey: { code: 'ESRV18', http: 500, message: 'This survey is Unknown to this user account.' }, // spec
  UserLimit: { code: 'ESEC75', http: 500, message: 'The maximum number of user accounts has been reached for this organization.' }, // spec
  SurveyLimit: { code: 'ESEC27', http: 500, message: 'Account Restriction: Too Many Active Surveys -- The maximum number of active surveys has been reached' }, // spec
  NoDownloadPermission: { code: 'ESEC62', http: 500, message: 'You do not have permission to download survey data.' }, // spec
  // Authentication: the texts are recorded, the codes and statuses are ours (spec §8.1).
  BadCredentials: { code: 'ESEC01', http: 401, message: 'Incorrect Username or Password' },
  AccountDisabled: { code: 'ESEC02', http: 401, message: 'User Account Disabled' },
  AccountLocked: { code: 'ESEC03', http: 401, message: 'Account Locked' },
  TooManyFailures: { code: 'ESEC04', http: 401, message: 'Too many failed login attempts. Your account has been disabled for 10 minutes.' },
  NoApiAccess: { code: 'ESEC05', http: 403, message: 'You do not have permission to access the API.' },
  // Permission and object errors inside a Request follow Qualtrics' habit of HTTP 500.
  AdminOnly: { code: 'ESEC06', http: 500, message: 'Only a Brand Administrator may make this request.' },
  Forbidden: { code: 'ESEC07', http: 500, message: 'You do not have permission to perform this action.' },
  NotFound: { code: 'ESRV36', http: 500, message: 'The {param} is unknown to this user account.' },
  Conflict: { code: 'ESRV37', http: 500, message: '{detail}' },
  Internal: { code: 'ESRV01', http: 500, message: 'An internal error occurred. The request was not completed.' },
} as const;

export type ErrorKind = keyof typeof ERRORS;

export class ServiceError extends Error {
  readonly kind: ErrorKind;
  readonly param: string | undefined;
  readonly detail: string | undefined;

  constructor(kind: ErrorKind, options: { param?: string; detail?: string } = {}) {
    super(renderMessage(kind, options.param, options.detail));
    this.name = 'ServiceError';
    this.kind = kind;
    this.param = options.param;
    this.detail = options.detail;
  }

  /** ESRV35|Param for parameter errors, the plain code otherwise. */
  get qualtricsCode(): string {
    return this.kind === 'InvalidParameter' ? `${ERRORS[this.kind].code}|${this.param ?? ''}` : ERRORS[this.kind].code;
  }

  get httpStatus(): number {
    return ERRORS[this.kind].http;
  }
}

function renderMessage(kind: ErrorKind, param: string | undefined, detail: string | undefined): string {
  return ERRORS[kind].message.replace('{param}', param ?? '').replace('{detail}', detail ?? '');
}

export const invalidParam = (param: string): ServiceError => new ServiceError('InvalidParameter', { param });
export const notFound = (param: string): ServiceError => new ServiceError('NotFound', { param });
export const conflict = (detail: string): ServiceError => new ServiceError('Conflict', { detail });
