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

$seen = throttle_analysis($log, $latency);
$steady = steady_ratio($seen['creates_s'], $budget, $ceiling);

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
    'server_create_span_s' => $steady['span_s'],
    'steady_creates_per_s' => $steady['per_s'],
    'steady_ratio' => $steady['ratio'],
    'requests_judged' => $seen['requests_judged'],
    'answered_429' => $seen['answered_429'],
    'pct_429' => $seen['pct_429'],
    'sent_during_known_retry_after' => $seen['sent_during_known_retry_after'],
    'throttled_emulator' => (int) $stats['throttled'],
    'throttled_client' => (int) ($client['throttled'] ?? 0),
    'batch_requests' => (int) $stats['batch_requests'],
]);
$native->close();
$emulator->stop();
