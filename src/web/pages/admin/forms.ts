import { PERMISSIONS, PERMISSION_NAMES, USER_TYPES, type Permission, type PermissionSet } from '../../../domain/accounts.ts';
import type { DivisionRow } from '../../../store/accounts.ts';
import { checked, field } from '../../forms.ts';
import { html, type Html } from '../../html.ts';

/** Form controls with their labels; every control has an id so error summaries can link to it. */

export interface InputOptions {
  type?: 'text' | 'email' | 'password';
  autocomplete?: string;
  hint?: string;
  required?: boolean;
}

export function textInput(id: string, name: string, label: string, value: string, o: InputOptions = {}): Html {
  const hintId = `${id}-hint`;
  return html`<label for="${id}">${label}${o.required ? '' : html` <span class="optional">(optional)</span>`}</label>
    ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
    <input type="${o.type ?? 'text'}" id="${id}" name="${name}" value="${value}"${o.required ? html` required` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.hint ? html` aria-describedby="${hintId}"` : ''}>`;
}

export function option(value: string, label: string, selected: string): Html {
  return html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
}

export function typeSelect(id: string, selected: string): Html {
  return html`<label for="${id}">User type</label>
    <select id="${id}" name="typeId">${Object.entries(USER_TYPES).map(([value, label]) => option(value, label, selected))}</select>`;
}

export function divisionSelect(id: string, name: string, divisions: DivisionRow[], selected: string | null): Html {
  return html`<label for="${id}">Division <span class="optional">(optional)</span></label>
    <select id="${id}" name="${name}">${option('', 'No division', selected ?? '')}${divisions.map((d) => option(d.id, d.name, selected ?? ''))}</select>`;
}

export function permissionFieldset(prefix: string, permissions: PermissionSet): Html {
  return html`<fieldset>
    <legend>Permissions</legend>
    <p class="hint">Brand Administrators always hold every permission.</p>
    ${PERMISSION_NAMES.map(
      (name) => html`<div class="check"><input type="checkbox" id="${prefix}-perm-${name}" name="perm_${name}" value="1"${permissions[name] ? html` checked` : ''}>
      <label for="${prefix}-perm-${name}">${PERMISSIONS[name]}</label></div>`,
    )}
  </fieldset>`;
}

/** The permission checkboxes as sent: an unticked box is absent from the body, so absent means false. */
export function permissionsFrom(isChecked: (name: string) => boolean): PermissionSet {
  return Object.fromEntries(PERMISSION_NAMES.map((name) => [name, isChecked(`perm_${name}`)])) as Record<Permission, boolean>;
}

/** The profile fields and permission boxes the create-user and edit-user forms share, as posted. */
export function profileValues(body: unknown) {
  return {
    firstName: field(body, 'firstName'),
    lastName: field(body, 'lastName'),
    email: field(body, 'email'),
    typeId: field(body, 'typeId'),
    divisionId: field(body, 'divisionId'),
    language: field(body, 'language'),
    permissions: permissionsFrom((name) => checked(body, name)),
  };
}
