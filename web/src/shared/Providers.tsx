import '@fontsource/vazirmatn/400.css';
import '@fontsource/vazirmatn/500.css';
import '@fontsource/vazirmatn/700.css';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './global.css';
import type { ReactNode } from 'react';
import { DirectionProvider, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { ModalsHost } from './confirm';
import { I18nProvider, type MessageKey } from './i18n';
import { theme } from './theme';

export function Providers({ children, titleKey }: { children: ReactNode; titleKey: MessageKey }) {
  const dir = document.documentElement.dir === 'ltr' ? 'ltr' : 'rtl';
  return (
    <DirectionProvider initialDirection={dir} detectDirection>
      <MantineProvider theme={theme} defaultColorScheme="light">
        <I18nProvider titleKey={titleKey}>
          <Notifications position="top-center" />
          <ModalsHost />
          {children}
        </I18nProvider>
      </MantineProvider>
    </DirectionProvider>
  );
}
