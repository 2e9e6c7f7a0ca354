<?php

/**
 * @file
 * Unknown quota: the emulator's write window is 30 times shorter than the
 * client's budget window at the same average rate (emulator 100 writes / 5 s,
 * client its default 3,000 / 150 s: both 20/s, but the client's budget allows
 * a burst of 3,000), throttled attempts charged. The client must learn the
 * real limit from Graph's signals. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/unknown_quota.php [--users=1200] [--chunk=1000]
 *       [--write-budget=100] [--write-window-s=5] [--latency-ms=20]
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$n = $opts->int('users', 1200);
$chunk = $opts->int('chunk', 1000);
$budget = $opts->int('write-budget', 100);
$window = $opts->float('write-window-s', 5.0);
$latency = $opts->int('latency-ms', 20);
$ceiling = $budget / $window;
// The client is told a window 30 times longer at the same average rate.
$clientBudget = ['writes' => (int) round($budget * 30), 'window_s' => $window * 30];

$emulator = new Emulator($paths['emulator'], [
    '--write-budget', (string) $budget, '--write-window-s', (string) $window, '--latency-ms', (string) $latency,
]);
$native = native($paths, client_config($emulator->url(), ['write_budget' => $clientBudget, 'max_retries' => 10]));
$native->connect();
$users = drupal_users('unknown.user', 0, $n);
note(sprintf('unknown_quota: %d users, emulator %d writes / %g s, client %d / %g s, latency %d ms', $n, $budget, $window, $clientBudget['writes'], $clientBudget['window_s'], $latency));

$t0 = hrtime(true);
$done = 0;
$bulk = bulk_in_chunks($native, $users, $chunk, static function () use (&$done, $chunk, $n, $t0): void {
    $done = min($n, $done + $chunk);
    note(sprintf('unknown_quota: %d/%d after %.1f s', $done, $n, (hrtime(true) - $t0) / 1e9));
});
$wall = (hrtime(true) - $t0) / 1e9;
$client = $native->clientStats();
$stats = $emulator->stats();
$log = $emulator->requests();

$created = [];
$throttles = [];
$subOrSingle = 0;
$answered429 = 0;
foreach ($log as $entry) {
    $isBatchEnvelope = ($entry['path'] ?? '') === '/v1.0/$batch' && empty($entry['in_batch']);
    if (!$isBatchEnvelope) {
        $subOrSingle++;
        if ((int) $entry['status'] === 429) {
            $answered429++;
        }
    }
    if ($entry['method'] === 'POST' && $entry['path'] === '/v1.0/users' && (int) $entry['status'] === 201) {
        $created[] = (float) $entry['t_ms'] / 1000;
    }
    if ((int) $entry['status'] === 429 && isset($entry['retry_after_s'])) {
        $throttles[] = [(float) $entry['t_ms'], (float) $entry['retry_after_s'] * 1000, $entry['batch_seq'] ?? null];
    }
}
sort($created);
// A sub-request's 429 reaches the client with its whole $batch answer, i.e. after the batch's
// last sub-request was handled: that is when the client can know its Retry-After.
$batchEnd = [];
foreach ($log as $entry) {
    if (isset($entry['batch_seq'])) {
        $b = $entry['batch_seq'];
        $batchEnd[$b] = max($batchEnd[$b] ?? 0.0, (float) $entry['t_ms']);
    }
}
foreach ($throttles as $k => [$t429, $after, $batch]) {
    $throttles[$k][2] = $batch === null ? $t429 : ($batchEnd[$batch] ?? $t429);
}
// Sent after the client could know a Retry-After, before it elapsed: arrivals later than the
// answer carrying the 429 + one latency (what was already on its way is excluded) and earlier
// than its Retry-After ran out (counted from the throttled request's own arrival).
$early = 0;
foreach ($log as $entry) {
    if (($entry['path'] ?? '') === '/v1.0/$batch' && empty($entry['in_batch'])) {
        continue;
    }
    $t = (float) $entry['t_ms'];
    foreach ($throttles as [$t429, $after, $known]) {
        if ($t > $known + $latency + 2 && $t < $t429 + $after) {
            $early++;
            break;
        }
    }
}
$span = $created === [] ? 0.0 : end($created) - $created[0];
// As in quota.php: the emulator's first window is free; the ratio is the sustained rate after it.
$steady = $span > 0 && count($created) > $budget ? (count($created) - $budget) / $span : 0.0;

emit([
    'users' => $n,
    'emulator_budget' => ['writes' => $budget, 'window_s' => $window],
    'client_budget' => $clientBudget,
    'latency_ms' => $latency,
    'ceiling_per_s' => $ceiling,
    'created' => $bulk['created'],
    'failed' => $bulk['failed'],
    'errors' => $bulk['errors'],
    'wall_s' => $wall,
    'server_create_span_s' => $span,
    'steady_creates_per_s' => $steady,
    'steady_ratio' => $steady / $ceiling,
    'requests_judged' => $subOrSingle,
    'answered_429' => $answered429,
    'pct_429' => $subOrSingle > 0 ? 100.0 * $answered429 / $subOrSingle : 0.0,
    'sent_during_known_retry_after' => $early,
    'throttled_emulator' => (int) $stats['throttled'],
    'throttled_client' => (int) ($client['throttled'] ?? 0),
    'batch_requests' => (int) $stats['batch_requests'],
]);
$native->close();
$emulator->stop();
