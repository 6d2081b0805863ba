import * as AlertDialog from '@radix-ui/react-alert-dialog';
import { useId, useState, type ReactNode } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { useConfirm } from '../../components/useConfirm.ts';

/**
 * A destructive action's confirmation (Radix AlertDialog: focus starts on Cancel, Escape cancels).
 * The description names the effect. With `typeToConfirm`, the action stays disabled until that
 * exact text is typed. As in ConfirmDialog, the backdrop is a plain element: Radix's overlay
 * injects a <style> tag that the strict Content-Security-Policy refuses.
 */
export function ConfirmAction({
  trigger,
  title,
  description,
  confirmLabel,
  cancelLabel = 'Cancel',
  destructive = true,
  typeToConfirm,
  children,
  onConfirm,
  onOpenChange,
}: {
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  destructive?: boolean;
  typeToConfirm?: string;
  /** Fields of the action (a new handle, a password…), shown between the description and the buttons. */
  children?: ReactNode;
  onOpenChange?: (open: boolean) => void;
  /** May throw a CallError: its message and hint are shown in the dialog, which stays open. */
  onConfirm: () => Promise<void> | void;
}) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const matches = typeToConfirm === undefined || typed.trim().toLowerCase() === typeToConfirm.toLowerCase();
  const run = useConfirm(onConfirm, () => {
    setOpen(false);
    setTyped('');
    onOpenChange?.(false);
  });
  const { busy, error } = run;
  const confirm = async () => {
    if (matches) await run.confirm();
  };

  return (
    <AlertDialog.Root
      open={open}
      onOpenChange={(next) => {
        if (busy) return;
        setOpen(next);
        onOpenChange?.(next);
        if (!next) {
          run.clearError();
          setTyped('');
        }
      }}
    >
      <AlertDialog.Trigger asChild>{trigger}</AlertDialog.Trigger>
      <AlertDialog.Portal>
        <div className="dialog-backdrop" aria-hidden="true" />
        <AlertDialog.Content className="dialog">
          <AlertDialog.Title className="dialog-title">{title}</AlertDialog.Title>
          <AlertDialog.Description asChild>
            <div className="dialog-description">{description}</div>
          </AlertDialog.Description>
          {children}
          {typeToConfirm !== undefined ? (
            <div className="field">
              <label htmlFor={inputId}>
                Type <strong className="mono">{typeToConfirm}</strong> to confirm
              </label>
              <input
                id={inputId}
                className="input"
                value={typed}
                autoComplete="off"
                spellCheck={false}
                onChange={(e) => setTyped(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') void confirm();
                }}
              />
            </div>
          ) : null}
          {error ? <ErrorMessage error={error} /> : null}
          <div className="actions dialog-actions">
            <AlertDialog.Cancel asChild>
              <button type="button" className="button" disabled={busy}>
                {cancelLabel}
              </button>
            </AlertDialog.Cancel>
            {/* Not AlertDialog.Action: that closes the dialog at once, before the call has answered. */}
            <button
              type="button"
              className={destructive ? 'button button-danger' : 'button button-primary'}
              onClick={() => void confirm()}
              disabled={busy || !matches}
              aria-busy={busy || undefined}
            >
              {confirmLabel}
            </button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
