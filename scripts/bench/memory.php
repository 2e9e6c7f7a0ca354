<?php

/**
 * @file
 * Scenario 4, memory: peak RSS (VmHWM) of this PHP process while it
 * bulk-provisions 100,000 users in chunks (users built chunk by chunk, as a
 * Drupal batch would load them). Throttling off, no latency, the emulator's
 * request log off. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/memory.php [--memory-users=100000] [--chunk=1000]
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$n = $opts->int('memory-users', 100000);
$chunk = max(1, $opts->int('chunk', 1000));

$emulator = new Emulator($paths['emulator'], ['--no-throttle']);
$emulator->control('POST', 'config', ['request_log' => false, 'latency_ms' => 0]);
$native = native($paths, client_config($emulator->url(), ['write_budget' => null]));
$native->connect();
$native->mapUser(drupal_users('warm.user', 0, 1)[0]);
$before = ['hwm_kib' => status_kib('self', 'VmHWM'), 'rss_kib' => status_kib('self', 'VmRSS')];
note(sprintf('memory: %d users in chunks of %d (VmRSS before: %.1f MiB)', $n, $chunk, $before['rss_kib'] / 1024));

$emuCpu0 = $emulator->cpuSeconds();
$cpu0 = self_cpu_seconds();
$t0 = hrtime(true);
$created = 0;
$failed = 0;
$rssSamples = [];
for ($from = 0; $from < $n; $from += $chunk) {
    $result = $native->bulkProvision(drupal_users('mem.user', $from, min($chunk, $n - $from)));
    $created += (int) ($result['summary']['created'] ?? 0);
    $failed += (int) ($result['summary']['failed'] ?? 0);
    unset($result);
    $rssSamples[] = status_kib('self', 'VmRSS');
    if (($from / $chunk) % 20 === 19) {
        note(sprintf('memory: %d/%d after %.1f s, VmRSS %.1f MiB', $from + $chunk, $n, (hrtime(true) - $t0) / 1e9, end($rssSamples) / 1024));
    }
}
$wall = (hrtime(true) - $t0) / 1e9;
$cpu = self_cpu_seconds() - $cpu0;
$emuCpu = $emulator->cpuSeconds() - $emuCpu0;
$stats = $emulator->stats();
$client = $native->clientStats();

emit([
    'users' => $n,
    'chunk' => $chunk,
    'created' => $created,
    'failed' => $failed,
    'emulator_users' => (int) $stats['users'],
    'peak_rss_mib' => status_kib('self', 'VmHWM') / 1024,
    'rss_before_mib' => $before['rss_kib'] / 1024,
    'rss_after_mib' => status_kib('self', 'VmRSS') / 1024,
    'rss_first_chunk_mib' => $rssSamples[0] / 1024,
    'rss_max_sample_mib' => max($rssSamples) / 1024,
    'php_peak_alloc_mib' => memory_get_peak_usage(true) / 1048576,
    'wall_s' => $wall,
    'users_per_s' => $created / $wall,
    'graph_requests' => (int) ($client['graph_requests'] ?? 0),
    'token_requests' => (int) ($client['token_requests'] ?? 0),
    'client_cpu_s' => $cpu,
    'emulator_cpu_s' => $emuCpu,
    'client_cpu_share' => $cpu / $wall,
    'emulator_cpu_share' => $emuCpu / $wall,
    'emulator_rss_mib' => $emulator->rssMib(),
]);
$native->close();
$emulator->stop();
