import type { Session } from 'electron';

/**
 * Hearth's window needs no web permission (camera, geolocation, notifications… desktop
 * notifications come from the main process): every request and check is refused, so a page that
 * ever got into the window could not ask the user for one either.
 */
export function denyWebPermissions(session: Session): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
