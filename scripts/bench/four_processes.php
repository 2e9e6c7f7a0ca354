<?php

/**
 * @file
 * Several processes, one quota: --processes PHP processes (cron, Drush and post-response runs on
 * a few web heads) bulk-provision --users users between them at once, against one application's
 * write quota (emulator 100 writes / 5 s, throttled attempts charged). Each is told the budget
 * the site is configured with (--client-budget=known: the emulator's own; default: the
 * documented 3,000 / 150 s), none knows the others. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/four_processes.php [--processes=4] [--users=1200]
 *       [--client-budget=known|default] [--workers=shared|alone] [--write-budget=100]
 *       [--write-window-s=5] [--latency-ms=20]
 *
 * --workers=shared (the module's way): each chunk of 100 is registered with QuotaWorkers and
 * the library keeps to its part of the budget; alone: each process takes the whole budget.
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$processes = max(1, $opts->int('processes', 4));
$n = $opts->int('users', 1200);
$budget = $opts->int('write-budget', 100);
$window = $opts->float('write-window-s', 5.0);
$latency = $opts->int('latency-ms', 20);
$mode = $opts->string('client-budget', 'known');
$ceiling = $budget / $window;
$clientBudget = $mode === 'default' ? ['writes' => 3000, 'window_s' => 150.0] : ['writes' => $budget, 'window_s' => $window];

$emulator = new Emulator($paths['emulator'], [
    '--write-budget', (string) $budget, '--write-window-s', (string) $window, '--latency-ms', (string) $latency,
]);
note(sprintf('four_processes: %d processes, %d users, emulator %d writes / %g s, each client %d / %g s, latency %d ms', $processes, $n, $budget, $window, $clientBudget['writes'], $clientBudget['window_s'], $latency));

$registry = sys_get_temp_dir() . '/entra-bench-workers-' . getmypid();
@mkdir($registry);
@unlink($registry . '/quota-workers.json');
$coordination = $opts->string('workers', 'shared');
$share = intdiv($n, $processes);
$children = [];
$t0 = hrtime(true);
for ($p = 0; $p < $processes; $p++) {
    $count = $p === $processes - 1 ? $n - $share * ($processes - 1) : $share;
    $cmd = [
        PHP_BINARY, '-d', 'ffi.enable=preload', __DIR__ . '/quota_worker.php',
        '--library=' . $paths['library'], '--header=' . $paths['header'], '--emulator=' . $paths['emulator'],
        '--url=' . $emulator->url(), '--registry=' . $registry, '--workers=' . $coordination,
        '--offset=' . ($p * $share), '--users=' . $count,
        '--write-budget=' . $clientBudget['writes'], '--write-window-s=' . $clientBudget['window_s'], '--chunk=' . $opts->int('chunk', 100),
    ];
    $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
    if (!is_resource($proc)) {
        fwrite(STDERR, "four_processes: could not start a worker\n");
        exit(1);
    }
    $children[] = [$proc, $pipes[1]];
}
$totals = ['created' => 0, 'failed' => 0, 'errors' => [], 'throttled_client' => 0];
foreach ($children as [$proc, $out]) {
    $text = (string) stream_get_contents($out);
    fclose($out);
    proc_close($proc);
    $result = preg_match('/^BENCH_RESULT=(.*)$/m', $text, $m) === 1 ? json_decode($m[1], true) : null;
    if (!is_array($result)) {
        fwrite(STDERR, "four_processes: a worker printed no result:\n$text\n");
        exit(1);
    }
    $totals['created'] += (int) $result['created'];
    $totals['failed'] += (int) $result['failed'];
    $totals['throttled_client'] += (int) $result['throttled_client'];
    foreach ($result['errors'] as $kind => $count) {
        $totals['errors'][$kind] = ($totals['errors'][$kind] ?? 0) + (int) $count;
    }
}
$wall = (hrtime(true) - $t0) / 1e9;
$stats = $emulator->stats();
$log = $emulator->requests();
$seen = throttle_analysis($log, $latency);
$steady = steady_ratio($seen['creates_s'], $budget, $ceiling);
note(sprintf('four_processes: %d created, %d failed in %.1f s', $totals['created'], $totals['failed'], $wall));
@unlink($registry . '/quota-workers.json');
@rmdir($registry);

emit([
    'processes' => $processes,
    'coordination' => $coordination,
    'users' => $n,
    'emulator_budget' => ['writes' => $budget, 'window_s' => $window],
    'client_budget' => $clientBudget,
    'latency_ms' => $latency,
    'ceiling_per_s' => $ceiling,
    'created' => $totals['created'],
    'failed' => $totals['failed'],
    'errors' => $totals['errors'],
    'wall_s' => $wall,
    'server_create_span_s' => $steady['span_s'],
    'steady_creates_per_s' => $steady['per_s'],
    'steady_ratio' => $steady['ratio'],
    'requests_judged' => $seen['requests_judged'],
    'answered_429' => $seen['answered_429'],
    'pct_429' => $seen['pct_429'],
    'sent_during_known_retry_after' => $seen['sent_during_known_retry_after'],
    'throttled_emulator' => (int) $stats['throttled'],
    'throttled_client' => $totals['throttled_client'],
]);
$emulator->stop();
