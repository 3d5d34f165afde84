import { Button, type ButtonProps, Tooltip } from "@mantine/core";

/**
 * A button that says why it cannot be used: with a reason (`why`) it is disabled and shows the reason
 * on hover. The span carries the hover, which a disabled button does not receive.
 */
export function GuardedButton({
  why,
  disabled,
  onClick,
  children,
  ...props
}: ButtonProps & { why?: string; onClick?: () => void }) {
  return (
    <Tooltip label={why} disabled={!why}>
      <span>
        <Button {...props} disabled={!!why || disabled} onClick={onClick}>
          {children}
        </Button>
      </span>
    </Tooltip>
  );
}
