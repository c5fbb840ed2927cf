import { useEffect, useRef } from 'preact/hooks';
import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';

// Only what the console draws: lines and stacked bars over days. The rest of Chart.js stays out of the bundle.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Filler, Tooltip, Legend);

const PALETTE = ['#4f8cff', '#e5534b', '#e0a030', '#46b37a', '#a371f7', '#39c5cf', '#d96fb1', '#8b949e'];
export const color = (i: number) => PALETTE[i % PALETTE.length]!;

export interface Series {
  label: string;
  values: number[];
  color?: string;
}

/** A chart over days; the table next to it carries the same numbers for screen readers. */
export function TrendChart(props: { kind: 'line' | 'bar'; labels: string[]; series: Series[]; title: string; stacked?: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const config: ChartConfiguration<'line' | 'bar'> = {
      type: props.kind,
      data: {
        labels: props.labels,
        datasets: props.series.map((s, i) => ({
          label: s.label,
          data: s.values,
          borderColor: s.color ?? color(i),
          backgroundColor: props.kind === 'bar' ? (s.color ?? color(i)) : `${s.color ?? color(i)}33`,
          fill: props.kind === 'line',
          tension: 0.25,
          pointRadius: 2,
          maxBarThickness: 48,
        })),
      },
      options: {
        // Redraws must not animate: the page is for reading numbers, and tests screenshot it.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { labels: { color: '#c9d1d9', boxWidth: 12 } } },
        scales: {
          x: { stacked: props.stacked ?? false, ticks: { color: '#8b949e', maxRotation: 0, autoSkip: true }, grid: { color: '#21262d' } },
          y: { stacked: props.stacked ?? false, beginAtZero: true, ticks: { color: '#8b949e', precision: 0 }, grid: { color: '#21262d' } },
        },
      },
    };
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [props.kind, props.labels.join(','), JSON.stringify(props.series), props.stacked]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={props.title} />
    </div>
  );
}
