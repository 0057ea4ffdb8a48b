/** CloudWatch's evaluation of a metric alarm, minute by minute, as plain functions over per-minute series. */
import { type MetricQuery, PUBLISH_AND_EVALUATE_SECONDS, type TreatMissingData } from "./alarm-math";
import { evaluateExpression, type Series } from "./metric-math";

/** A metric alarm as CloudWatch stores it: the MetricAlarm inputs this model reads. */
export interface AlarmSpec {
  readonly name: string;
  readonly comparison: string;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  readonly metricQueries: readonly MetricQuery[];
}

export type MetricStat = NonNullable<MetricQuery["metric"]>;
/** The datapoints of one metric, one per minute; undefined where the service published none. */
export type MetricSource = (metric: MetricStat) => Series;
export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

const COMPARE: Readonly<Record<string, (value: number, threshold: number) => boolean>> = {
  GreaterThanThreshold: (value, threshold) => value > threshold,
  GreaterThanOrEqualToThreshold: (value, threshold) => value >= threshold,
  LessThanThreshold: (value, threshold) => value < threshold,
  LessThanOrEqualToThreshold: (value, threshold) => value <= threshold,
};

/** The series the alarm watches: its returnData query, with every query it reads evaluated first. */
export function watchedSeries(alarm: AlarmSpec, source: MetricSource, length: number): Series {
  const byId = new Map(alarm.metricQueries.map((query) => [query.id, query]));
  const computed = new Map<string, Series>();
  const resolve = (id: string, seen: readonly string[] = []): Series => {
    const cached = computed.get(id);
    if (cached) return cached;
    const query = byId.get(id);
    if (!query) throw new Error(`${alarm.name}: query ${id} is not defined`);
    if (seen.includes(id)) throw new Error(`${alarm.name}: query ${id} refers to itself`);
    let series: Series;
    if (query.metric) {
      series = source(query.metric).slice(0, length);
    } else if (query.expression) {
      series = evaluateExpression(query.expression, length, (ref) => resolve(ref, [...seen, id]));
    } else {
      throw new Error(`${alarm.name}: query ${id} has neither a metric nor an expression`);
    }
    computed.set(id, series);
    return series;
  };
  // ReturnData defaults to true: every other query must say false.
  const watched = alarm.metricQueries.filter((query) => query.returnData !== false);
  if (watched.length !== 1) throw new Error(`${alarm.name}: exactly one query must have returnData true (got ${watched.length})`);
  return resolve(watched[0].id);
}

/**
 * The alarm's state after each evaluation. Evaluation `j` runs at second 60 * j and sees the datapoints of minutes up to
 * j - 1 - PUBLISH_AND_EVALUATE_SECONDS / 60 (ALB publishes each minute's datapoint about a minute after it closes).
 * It takes the last `evaluationPeriods` datapoints: ALARM when at least `datapointsToAlarm` breach, with missing ones
 * treated as `treatMissingData` says (`ignore` keeps the state, `missing` drops them and goes to INSUFFICIENT_DATA
 * when all are missing). CloudWatch's look-back past the window for `missing`/`ignore` alarms is not modelled.
 */
export function alarmStates(alarm: AlarmSpec, source: MetricSource, minutes: number): AlarmState[] {
  const compare = COMPARE[alarm.comparison];
  if (!compare) throw new Error(`${alarm.name}: comparison ${alarm.comparison} is not modelled`);
  const series = watchedSeries(alarm, source, minutes);
  const delay = PUBLISH_AND_EVALUATE_SECONDS / 60;
  const states: AlarmState[] = [];
  let state: AlarmState = "OK";
  for (let evaluation = 0; evaluation <= minutes + delay; evaluation++) {
    const last = evaluation - 1 - delay;
    // The window: the last `evaluationPeriods` minutes up to `last`, those before minute 0 left out.
    const earliest = Math.max(0, last - alarm.evaluationPeriods + 1);
    const windowLength = Math.max(0, last - earliest + 1);
    let breaching = 0;
    let present = 0;
    for (let minute = last; minute >= earliest; minute--) {
      const value = series[minute];
      if (value === undefined) {
        if (alarm.treatMissingData === "breaching") breaching++;
        if (alarm.treatMissingData === "breaching" || alarm.treatMissingData === "notBreaching") present++;
        continue;
      }
      present++;
      if (compare(value, alarm.threshold)) breaching++;
    }
    if (present === 0) {
      if (alarm.treatMissingData === "missing" && windowLength > 0) state = "INSUFFICIENT_DATA";
    } else {
      state = breaching >= alarm.datapointsToAlarm ? "ALARM" : "OK";
    }
    states.push(state);
  }
  return states;
}

/**
 * An Argo Rollouts CloudWatch metric as its AnalysisRun evaluates it: a measurement every `intervalSeconds` from the
 * run's start (`count` of them, or without end), each failing when at least `datapointsToAlarm` values of the watched
 * series breach among the periods that started between `completeAfterSeconds + windowSeconds` and
 * `completeAfterSeconds` ago. With `failureLimit: 0` the first failed measurement fails the run.
 */
export interface AnalysisSpec {
  readonly name: string;
  readonly metricQueries: readonly MetricQuery[];
  readonly comparison: string;
  readonly threshold: number;
  readonly datapointsToAlarm: number;
  readonly completeAfterSeconds: number;
  readonly windowSeconds: number;
  readonly intervalSeconds: number;
  readonly count?: number;
}

/** The second (from minute 0 of the series) of the run's first failed measurement, or undefined if none fails. */
export function analysisFailureSecond(spec: AnalysisSpec, source: MetricSource, minutes: number, startSecond: number): number | undefined {
  const compare = COMPARE[spec.comparison];
  if (!compare) throw new Error(`${spec.name}: comparison ${spec.comparison} is not modelled`);
  // The same metric math as the alarms: the watched series, minute by minute.
  const series = watchedSeries({ ...spec, evaluationPeriods: 1, treatMissingData: "notBreaching" }, source, minutes);
  const period = spec.metricQueries.find((query) => query.metric)?.metric?.period ?? 60;
  const end = (minutes + 1) * 60 + spec.completeAfterSeconds;
  for (let measurement = 0; spec.count === undefined || measurement < spec.count; measurement++) {
    const at = startSecond + measurement * spec.intervalSeconds;
    if (at > end) break;
    let breaching = 0;
    series.forEach((value, index) => {
      const start = index * period;
      if (value === undefined || start > at - spec.completeAfterSeconds || start <= at - spec.completeAfterSeconds - spec.windowSeconds) return;
      if (compare(value, spec.threshold)) breaching++;
    });
    if (breaching >= spec.datapointsToAlarm) return at;
  }
  return undefined;
}
