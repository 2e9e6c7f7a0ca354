<?php

/**
 * @file
 * Scenario 1, quota-bound bulk create: N users through bulkProvision against
 * the emulator's write budget (Graph's 3,000 writes / 150 s scaled down), the
 * client paced to the same budget. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/quota.php [--users=6000] [--chunk=1000]
 *       [--write-budget=500] [--write-window-s=5] [--latency-ms=20]
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$n = $opts->int('users', 6000);
$chunk = $opts->int('chunk', 1000);
$budget = $opts->int('write-budget', 500);
$window = $opts->float('write-window-s', 5.0);
$latency = $opts->int('latency-ms', 20);
$ceiling = $budget / $window;

$emulator = new Emulator($paths['emulator'], [
    '--write-budget', (string) $budget, '--write-window-s', (string) $window, '--latency-ms', (string) $latency,
]);
$native = native($paths, client_config($emulator->url(), ['write_budget' => ['writes' => $budget, 'window_s' => $window]]));
$native->connect();
$users = drupal_users('quota.user', 0, $n);
note(sprintf('quota: %d users, chunks of %d, budget %d writes / %g s (%.0f/s), latency %d ms', $n, $chunk, $budget, $window, $ceiling, $latency));

$emuCpu0 = $emulator->cpuSeconds();
$cpu0 = self_cpu_seconds();
$t0 = hrtime(true);
$done = 0;
$bulk = bulk_in_chunks($native, $users, $chunk, static function () use (&$done, $chunk, $n, $t0): void {
    $done = min($n, $done + $chunk);
    note(sprintf('quota: %d/%d after %.1f s', $done, $n, (hrtime(true) - $t0) / 1e9));
});
$wall = (hrtime(true) - $t0) / 1e9;
$cpu = self_cpu_seconds() - $cpu0;
$emuCpu = $emulator->cpuSeconds() - $emuCpu0;

$client = $native->clientStats();
$stats = $emulator->stats();

// Server-side view: every write attempt (create sub-request or top-level POST /users).
$attempts = [];
$created = [];
foreach ($emulator->requests() as $entry) {
    if ($entry['method'] === 'POST' && $entry['path'] === '/v1.0/users') {
        $attempts[] = (float) $entry['t_ms'] / 1000;
        if ((int) $entry['status'] === 201) {
            $created[] = (float) $entry['t_ms'] / 1000;
        }
    }
}
sort($attempts);
sort($created);
// Most attempts inside any window of the budget's length (must not exceed the budget).
$maxInWindow = 0;
$j = 0;
foreach ($attempts as $i => $t) {
    while ($attempts[$j] <= $t - $window) {
        $j++;
    }
    $maxInWindow = max($maxInWindow, $i - $j + 1);
}
$span = $created === [] ? 0.0 : end($created) - $created[0];
// The first window's budget is free at the start (the burst); what follows is the sustained rate.
$steady = $span > 0 && count($created) > $budget ? (count($created) - $budget) / $span : 0.0;
// The library's pacer lengthens each window by a margin of 1 % of it, at most 100 ms
// (src/graph/pacer.rs), so its own bound is budget / (window + margin).
$pacerMargin = min(0.1, $window / 100);
$pacerBound = $budget / ($window + $pacerMargin);
$idealSpan = count($created) > $budget ? (count($created) - $budget) / $ceiling : 0.0;
$marginLoss = count($created) > $budget ? (count($created) - $budget) / $budget * $pacerMargin : 0.0;
$requests = (int) $stats['graph_requests'] + (int) $stats['sub_requests'] + (int) $stats['token_requests'];

emit([
    'users' => $n,
    'chunk' => $chunk,
    'write_budget' => ['writes' => $budget, 'window_s' => $window],
    'latency_ms' => $latency,
    'ceiling_per_s' => $ceiling,
    'created' => $bulk['created'],
    'linked' => $bulk['linked'],
    'failed' => $bulk['failed'],
    'errors' => $bulk['errors'],
    'emulator_users' => (int) $stats['users'],
    'wall_s' => $wall,
    'wall_creates_per_s' => $bulk['created'] / $wall,
    'steady_creates_per_s' => $steady,
    'steady_ratio' => $steady / $ceiling,
    'pacer_bound_per_s' => $pacerBound,
    'pacer_bound_ratio' => $pacerBound / $ceiling,
    'server_create_span_s' => $span,
    'ideal_span_s' => $idealSpan,
    'lost_s' => $span - $idealSpan,
    'lost_to_pacer_margin_s' => $marginLoss,
    'pacer_margin_s' => $pacerMargin,
    'chunk_gap_total_s' => array_sum($bulk['gap_s']),
    'chunk_call_s' => $bulk['call_s'],
    'max_writes_in_any_window' => $maxInWindow,
    'write_attempts' => count($attempts),
    'throttled_emulator' => (int) $stats['throttled'],
    'throttled_client' => (int) ($client['throttled'] ?? 0),
    'retries_client' => (int) ($client['retries'] ?? 0),
    'requests_total' => $requests,
    'throttled_pct_of_write_attempts' => count($attempts) > 0 ? 100.0 * (int) $stats['throttled'] / count($attempts) : 0.0,
    'token_requests_emulator' => (int) $stats['token_requests'],
    'token_requests_client' => (int) ($client['token_requests'] ?? 0),
    'graph_requests_client' => (int) ($client['graph_requests'] ?? 0),
    'batch_requests' => (int) $stats['batch_requests'],
    'client_cpu_s' => $cpu,
    'emulator_cpu_s' => $emuCpu,
    'emulator_cpu_share' => $emuCpu / $wall,
    'client_cpu_share' => $cpu / $wall,
]);
$native->close();
$emulator->stop();
