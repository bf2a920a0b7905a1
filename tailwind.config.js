/** @type {import('tailwindcss').Config} */
// Micboard is watched in dark rooms (side stage, FOH, monitor world), so the
// whole palette is dark; the status colours follow the conventional micboard
// colours every RF tech already reads at a glance.
module.exports = {
  content: ['./views/**/*.html', './app/web/**/*.go', '!./app/web/**/*_test.go'],
  darkMode: 'class',
  theme: {
    extend: {
      colors: {
        // Channel status colours (PROTOCOLS.md §3).
        good: '#69B578',
        prev: '#006494',
        replace: '#EF9D51',
        critical: '#DC493A',
        txoff: '#262626',
        offline: '#845A6D',
        // The same hues lightened for text on the dark page (WCAG AA 4.5:1).
        'critical-text': '#F58A7E',
        'offline-text': '#CFA6BA',
        // Stage greys: backgrounds, panels and hairlines.
        stage: {
          50: '#f5f6f8',
          100: '#e6e8ec',
          200: '#c9cdd5',
          300: '#a3a9b5',
          400: '#7b8291',
          500: '#7a8190', // 4.5:1 on stage-900 and -950 (was #5c6372, 3.2:1)
          600: '#454b58',
          700: '#323743',
          800: '#22262f',
          850: '#1a1d24',
          900: '#13151a',
          950: '#0b0c0f',
        },
        accent: {
          300: '#9ad3a6',
          400: '#7fc48d',
          500: '#69B578',
          600: '#4f9a5f',
        },
      },
      fontFamily: {
        sans: [
          'Inter',
          'ui-sans-serif',
          'system-ui',
          '-apple-system',
          'Segoe UI',
          'Roboto',
          'Helvetica Neue',
          'Arial',
          'sans-serif',
        ],
        mono: ['ui-monospace', 'SFMono-Regular', 'Menlo', 'Consolas', 'Liberation Mono', 'monospace'],
      },
      boxShadow: {
        tile: '0 1px 0 0 rgba(255,255,255,0.04) inset, 0 8px 24px -12px rgba(0,0,0,0.6)',
      },
      keyframes: {
        // AUDIO_PEAK is a pulse around the tile, not a colour of its own.
        peak: {
          '0%, 100%': { outlineColor: 'rgba(220,73,58,1)' },
          '50%': { outlineColor: 'rgba(220,73,58,0.15)' },
        },
      },
      animation: {
        peak: 'peak 1s ease-in-out infinite',
      },
    },
  },
  plugins: [],
};
