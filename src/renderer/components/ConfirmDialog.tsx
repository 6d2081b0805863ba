import * as Dialog from '@radix-ui/react-dialog';
import { useRef, useState, type ReactNode } from 'react';
import { ErrorMessage } from './ErrorMessage.tsx';
import { useConfirm } from './useConfirm.ts';

/**
 * A confirmation in a modal dialog (Radix Dialog: focus trap, Escape, focus returns to the
 * trigger). The overlay is a plain element rather than Dialog.Overlay, whose scroll lock injects
 * a <style> tag that a strict Content-Security-Policy forbids; the app's body does not scroll.
 */
export function ConfirmDialog({
  trigger,
  title,
  description,
  confirmLabel,
  cancelLabel = 'Keep going',
  destructive = false,
  onConfirm,
  onFocusLost,
}: {
  /** The button that opens the dialog (rendered as is). */
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  destructive?: boolean;
  /** May throw a CallError: its message and hint are shown in the dialog. */
  onConfirm: () => Promise<void> | void;
  /** Called instead of returning focus to the trigger when the trigger is gone by then. */
  onFocusLost?: () => void;
}) {
  const triggerRef = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const { busy, error, confirm, clearError } = useConfirm(onConfirm, () => setOpen(false));

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        if (busy) return;
        setOpen(next);
        if (!next) clearError();
      }}
    >
      <Dialog.Trigger asChild ref={triggerRef}>
        {trigger}
      </Dialog.Trigger>
      <Dialog.Portal>
        <div className="dialog-backdrop" aria-hidden="true" />
        <Dialog.Content
          className="dialog"
          onCloseAutoFocus={(event) => {
            if (triggerRef.current?.isConnected) return;
            event.preventDefault();
            onFocusLost?.();
          }}
        >
          <Dialog.Title className="dialog-title">{title}</Dialog.Title>
          <Dialog.Description className="dialog-description">{description}</Dialog.Description>
          {error ? <ErrorMessage error={error} /> : null}
          <div className="actions dialog-actions">
            <Dialog.Close asChild>
              <button type="button" className="button" disabled={busy}>
                {cancelLabel}
              </button>
            </Dialog.Close>
            <button
              type="button"
              className={destructive ? 'button button-danger' : 'button button-primary'}
              onClick={() => void confirm()}
              disabled={busy}
              aria-busy={busy || undefined}
            >
              {confirmLabel}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
