// Installers for the desktop app: `npm run dist`. A script (not YAML) so that test/packaging.test.ts
// builds with exactly this configuration, changing only where the bundles and Electron come from.
/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'social.hearth.app',
  productName: 'Hearth',
  copyright: 'Copyright © Hearth contributors',
  directories: { output: 'dist', buildResources: 'resources/icons' },
  icon: 'resources/icons/icon.png',

  // The app is the three electron-vite bundles and package.json (its "main"). out/web is browser
  // mode's host; tests, e2e, stand-ins and sources stay out. Runtime dependencies come from
  // node_modules, chosen by electron-builder from "dependencies".
  files: ['package.json', 'out/main/**', 'out/preload/**', 'out/renderer/**', '!**/*.map'],

  // The files Hearth puts on servers ship beside app.asar as <resources>/host, where the desktop host
  // looks for them (src/main/desktop-paths.ts): outside the asar they stay real files with their
  // modes, so the sandbox can run the backup scripts in place and SFTP can read them.
  extraResources: [{ from: 'resources/host', to: 'host' }],

  asar: true,
  // Native modules cannot be loaded from inside an asar: their packages (so their loaders find the
  // .node binaries by relative path) go to app.asar.unpacked. ssh2 loads cpu-features optionally.
  asarUnpack: ['**/node_modules/@napi-rs/keyring*/**', '**/node_modules/better-sqlite3/**', '**/node_modules/cpu-features/**', '**/*.node'],

  // Flipped in the Electron binary before signing. An installed Hearth can reach the keychain's
  // server secrets, so it must never become a general Node runtime: no ELECTRON_RUN_AS_NODE, no
  // NODE_OPTIONS, no --inspect; it loads only its own asar, checked against the integrity hash
  // embedded at build time (macOS and Windows; Electron has no such check on Linux). Without
  // RunAsNode the sandbox's PLC and PDS run as Electron utility processes (src/main/utility-child.ts).
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
  },

  linux: {
    target: ['AppImage', 'deb'],
    category: 'Network',
    executableName: 'hearth',
    maintainer: 'Hearth contributors',
    synopsis: 'Control panel for a self-hosted Bluesky PDS',
  },
  mac: { target: 'dmg', category: 'public.app-category.utilities' },
  win: { target: 'nsis' },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
};
