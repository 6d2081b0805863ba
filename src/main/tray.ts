import { Menu, nativeImage, Tray } from 'electron';
import type { SandboxStatus } from '../shared/contract/index.ts';

// A 16×16 ember, inline so the tray needs no file on disk.
const ICON =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAALUlEQVR42mNgGNTgRazafxAmWyM6pkgzUYYQ0kzQkFEDhoUBFCckqiRlUjMTAKnADnCCVhdyAAAAAElFTkSuQmCC';

const describe = (status: SandboxStatus | null) => {
  if (!status || status.state === 'absent') return 'Hearth';
  return `Hearth — sandbox ${status.state}`;
};

/** The tray icon: shows the sandbox's state and offers Show and Quit. */
export function createTray(onShow: () => void, onQuit: () => void): { update(status: SandboxStatus): void } {
  const tray = new Tray(nativeImage.createFromDataURL(ICON));
  const render = (status: SandboxStatus | null) => {
    tray.setToolTip(describe(status));
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: describe(status), enabled: false },
        { type: 'separator' },
        { label: 'Show Hearth', click: onShow },
        { label: 'Quit Hearth', click: onQuit },
      ]),
    );
  };
  tray.on('click', onShow);
  render(null);
  return { update: render };
}
