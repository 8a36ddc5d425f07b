import { createTheme, type MantineColorsTuple } from '@mantine/core';

/** Vafa teal: calm, trustworthy; shade 7 keeps white text above WCAG AA (5.4:1). */
const brand: MantineColorsTuple = ['#e7f7f5', '#c9ebe7', '#9fd9d2', '#6fc3b9', '#46ada2', '#2a9a8f', '#16877d', '#0f766e', '#0b625b', '#074e48'];

export const theme = createTheme({
  primaryColor: 'brand',
  primaryShade: 7,
  colors: { brand },
  fontFamily: 'Vazirmatn, Tahoma, "Segoe UI", sans-serif',
  headings: { fontFamily: 'Vazirmatn, Tahoma, "Segoe UI", sans-serif', fontWeight: '700' },
  defaultRadius: 'md',
  cursorType: 'pointer',
  components: {
    Card: { defaultProps: { withBorder: true, radius: 'lg', padding: 'lg' } },
    Paper: { defaultProps: { radius: 'lg' } },
    Button: { defaultProps: { radius: 'md' } },
    Table: { defaultProps: { verticalSpacing: 'sm', highlightOnHover: true } },
  },
});
