import { Group, Text } from '@mantine/core';

/** The Vafa mark: a star in a teal tile (the same drawing as the app icon). */
export function LogoMark({ size = 32 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 64 64" aria-hidden="true" focusable="false">
      <defs>
        <linearGradient id="vafa-tile" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#16877d" />
          <stop offset="1" stopColor="#0b625b" />
        </linearGradient>
      </defs>
      <rect width="64" height="64" rx="16" fill="url(#vafa-tile)" />
      <circle cx="32" cy="32" r="20" fill="none" stroke="#9fd9d2" strokeWidth="2.5" opacity="0.6" />
      <path d="M32 17.5l4.4 9 9.9 1.4-7.2 7 1.7 9.8L32 40.1l-8.8 4.6 1.7-9.8-7.2-7 9.9-1.4z" fill="#ffffff" />
    </svg>
  );
}

export function Logo({ label, sub }: { label: string; sub?: string }) {
  return (
    <Group gap="sm" wrap="nowrap">
      <LogoMark />
      <div style={{ minWidth: 0 }}>
        <Text fw={700} fz="lg" lh={1.1}>
          {label}
        </Text>
        {sub && (
          <Text size="xs" c="dimmed" truncate>
            {sub}
          </Text>
        )}
      </div>
    </Group>
  );
}
