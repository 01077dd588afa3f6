/** The parser the metrics tests read `/metrics` with (it ships no types). */
declare module "parse-prometheus-text-format" {
  export interface PrometheusMetric {
    value?: string;
    labels?: Record<string, string>;
  }
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "SUMMARY" | "HISTOGRAM" | "UNTYPED";
    metrics: PrometheusMetric[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
