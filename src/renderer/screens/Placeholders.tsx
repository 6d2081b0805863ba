import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useAppStore } from '../state/app.ts';

export function SettingsScreen() {
  const info = useAppStore((s) => s.info);
  return (
    <div className="screen">
      <ScreenHeading>Settings</ScreenHeading>
      <p className="lead">There are no settings to change yet; they will appear here as Hearth grows.</p>
      {info ? (
        <dl className="facts">
          <div>
            <dt>Version</dt>
            <dd>{info.version}</dd>
          </div>
          <div>
            <dt>Running as</dt>
            <dd>{info.host === 'electron' ? 'Desktop app' : 'Web page served by Hearth'}</dd>
          </div>
          <div>
            <dt>Data folder</dt>
            <dd className="path">{info.dataDir}</dd>
          </div>
          <div>
            <dt>System keychain</dt>
            <dd>{info.keychain.available ? 'Available' : 'Not available'}</dd>
          </div>
        </dl>
      ) : null}
    </div>
  );
}
