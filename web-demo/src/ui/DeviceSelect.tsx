/** A device list; disabled (with `empty` as its one entry) when there is none. */
export function DeviceSelect(props: { testId: string; id?: string; devices: MediaDeviceInfo[]; selected: string | null | undefined; empty: string; onChange(deviceId: string): void }) {
  const { devices } = props;
  const value = devices.some((d) => d.deviceId === props.selected) ? props.selected! : (devices[0]?.deviceId ?? '');
  return (
    <select class="select" id={props.id} data-testid={props.testId} disabled={devices.length === 0} value={value} onChange={(event) => props.onChange(event.currentTarget.value)}>
      {devices.length ? (
        devices.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label || `Device ${i + 1}`}
          </option>
        ))
      ) : (
        <option value="">{props.empty}</option>
      )}
    </select>
  );
}
