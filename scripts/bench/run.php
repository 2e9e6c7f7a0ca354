<?php

/**
 * @file
 * `make bench`: runs the benchmark scenarios against the release library and
 * the release emulator on loopback, each in its own `php` process, prints a
 * table and writes target/bench/results.json.
 *
 *   php -d ffi.enable=preload scripts/bench/run.php [--only=quota,unknown_quota,four_processes,queue_drain,latency,ffi,memory,module_memory,tokens]
 *       [--users=6000] [--chunk=1000] [--write-budget=500] [--write-window-s=5]
 *       [--quota-latency-ms=20] [--latency-users=2000] [--baseline-users=100]
 *       [--latency-ms=50] [--memory-users=100000] [--module-small=2000] [--module-large=10000]
 *       [--out=target/bench/results.json]
 *       [--library=...] [--header=...] [--emulator=...]
 * Every option may also be given as BENCH_<NAME> in the environment
 * (e.g. BENCH_USERS=3000). A benchmark, not a test: it exits 0 when every
 * scenario ran, whether or not the targets were met (the table says).
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';


$opts = new Options($argv);
$paths = $opts->artifacts();
$root = dirname(__DIR__, 2);
$out = $opts->string('out', $root . '/target/bench/results.json');
$only = array_filter(array_map('trim', explode(',', $opts->string('only', 'quota,unknown_quota,four_processes,queue_drain,latency,ffi,memory,module_memory'))));
$started = microtime(true);

/**
 * Runs one scenario script in a fresh php process; its progress goes to our stderr.
 *
 * @param list<string> $args
 *
 * @return array<string, mixed>
 */
function scenario(string $script, array $args, array $paths): array
{
    $cmd = array_merge([PHP_BINARY, '-d', 'ffi.enable=preload', __DIR__ . '/' . $script], $args, [
        '--library=' . $paths['library'], '--header=' . $paths['header'], '--emulator=' . $paths['emulator'],
    ]);
    $process = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes);
    if (!is_resource($process)) {
        throw new \RuntimeException('could not run ' . $script);
    }
    // Progress lines are relayed to our stderr as they come; the result line is kept.
    $stdout = '';
    while (($line = fgets($pipes[1])) !== false) {
        if (str_starts_with($line, 'BENCH_RESULT=')) {
            $stdout .= $line;
        } else {
            fwrite(STDERR, $line);
        }
    }
    fclose($pipes[1]);
    $code = proc_close($process);
    if ($code !== 0 || preg_match('/^BENCH_RESULT=(.*)$/m', $stdout, $m) !== 1) {
        throw new \RuntimeException(sprintf('%s failed (exit %d): %s', $script, $code, trim($stdout)));
    }

    return json_decode($m[1], true, 512, JSON_THROW_ON_ERROR);
}

$native = native($paths, client_config('http://127.0.0.1:9'));
$load = sys_getloadavg();
$results = [
    'generated_at' => gmdate('c'),
    'machine' => [
        'cpus' => (int) trim((string) shell_exec('nproc 2>/dev/null')),
        'loadavg_at_start' => $load === false ? null : $load,
        'php' => PHP_VERSION,
        'library' => $paths['library'],
        'library_version' => $native->version(),
        'emulator' => $paths['emulator'],
    ],
    'note' => 'Shared, noisy machine: compare ratios measured in one run, not absolute times across runs.',
    'scenarios' => [],
    'targets' => [],
];
$native->close();

$pass = static function (string $name, bool $ok, string $measured, string $target) use (&$results): string {
    $results['targets'][$name] = ['ok' => $ok, 'measured' => $measured, 'target' => $target];

    return $ok ? 'met' : 'MISSED';
};
$bottleneck = static function (float $emuShare, float $clientShare, string $boundBy): string {
    $cpus = max(1, (int) trim((string) shell_exec('nproc 2>/dev/null')));
    if ($emuShare >= 0.8 && $emuShare >= $clientShare) {
        return sprintf('emulator WAS the bottleneck: %.0f %% of a core (client %.0f %%, %d CPUs)', 100 * $emuShare, 100 * $clientShare, $cpus);
    }

    return sprintf('emulator not the bottleneck: %.1f %% of a core, client %.1f %%; bound by %s', 100 * $emuShare, 100 * $clientShare, $boundBy);
};

$rows = [];
$forward = array_values(array_filter(array_slice($argv, 1), static fn (string $a): bool => !str_starts_with($a, '--only=') && !str_starts_with($a, '--out=')
    && !str_starts_with($a, '--library=') && !str_starts_with($a, '--header=') && !str_starts_with($a, '--emulator=')
    && !str_starts_with($a, '--latency-ms=') && !str_starts_with($a, '--quota-latency-ms=')));

if (in_array('quota', $only, true)) {
    fwrite(STDERR, "[1/4] quota-bound bulk create\n");
    $q = scenario('quota.php', array_merge($forward, ['--latency-ms=' . $opts->int('quota-latency-ms', 20)]), $paths);
    $results['scenarios']['quota'] = $q;
    $window = $q['write_budget']['window_s'];
    $rows[] = ['1 quota-bound', sprintf('users created (chunks of %d, %d ms latency)', $q['chunk'], $q['latency_ms']), sprintf('%d / %d (%d failed)', $q['created'], $q['users'], $q['failed']), '', ''];
    $rows[] = ['', sprintf('ceiling: %d writes / %g s', $q['write_budget']['writes'], $window), sprintf('%.1f creates/s', $q['ceiling_per_s']), '', ''];
    $rows[] = ['', 'sustained creates/s (after the first window)', sprintf('%.1f', $q['steady_creates_per_s']), '', ''];
    $rows[] = ['', 'ratio to the ceiling', sprintf('%.3f', $q['steady_ratio']), '>= 0.95', $pass('quota_ratio', $q['steady_ratio'] >= 0.95, sprintf('%.3f', $q['steady_ratio']), '>= 0.95')];
    $rows[] = ['', sprintf('bound of the pacer (%d ms margin/window)', (int) round($q['pacer_margin_s'] * 1000)), sprintf('%.3f', $q['pacer_bound_ratio']), '', ''];
    $rows[] = ['', sprintf('time lost vs ideal: total / pacer margin'), sprintf('%.2f s / %.2f s', $q['lost_s'], $q['lost_to_pacer_margin_s']), '', ''];
    $rows[] = ['', 'wall creates/s (incl. the free first window)', sprintf('%.1f in %.1f s', $q['wall_creates_per_s'], $q['wall_s']), '', ''];
    $rows[] = ['', sprintf('most writes in any %g s window', $window), (string) $q['max_writes_in_any_window'], sprintf('<= %d', $q['write_budget']['writes']), ''];
    $pct = $q['requests_total'] > 0 ? 100.0 * $q['throttled_emulator'] / $q['requests_total'] : 0.0;
    $rows[] = ['', '429s received (emulator / client stats)', sprintf('%d / %d = %.2f %% of %d requests', $q['throttled_emulator'], $q['throttled_client'], $pct, $q['requests_total']), '<= 1 %', $pass('quota_429s', $pct <= 1.0 && $q['throttled_client'] <= max(1, $q['requests_total'] / 100), sprintf('%.2f %%', $pct), '<= 1 %')];
    $rows[] = ['', 'token requests (emulator / client)', sprintf('%d / %d', $q['token_requests_emulator'], $q['token_requests_client']), '1', $pass('quota_tokens', $q['token_requests_emulator'] === 1, (string) $q['token_requests_emulator'], '1')];
    $rows[] = ['', 'Graph requests ($batch)', (string) $q['batch_requests'], '', ''];
    $rows[] = ['', $bottleneck($q['emulator_cpu_share'], $q['client_cpu_share'], 'the write quota'), '', '', ''];
}

if (in_array('unknown_quota', $only, true)) {
    fwrite(STDERR, "[1b] unknown quota: Graph's window 30x shorter than the client's budget\n");
    $u = scenario('unknown_quota.php', ['--latency-ms=' . $opts->int('quota-latency-ms', 20)], $paths);
    $results['scenarios']['unknown_quota'] = $u;
    $rows[] = ['1b unknown quota', sprintf('users created (%d ms latency)', $u['latency_ms']), sprintf('%d / %d (%d failed)', $u['created'], $u['users'], $u['failed']), '', ''];
    $rows[] = ['', sprintf('emulator %d / %g s, client budget %d / %g s', $u['emulator_budget']['writes'], $u['emulator_budget']['window_s'], $u['client_budget']['writes'], $u['client_budget']['window_s']), sprintf('%.1f creates/s', $u['ceiling_per_s']), '', ''];
    $rows[] = ['', 'ratio to the true ceiling (after the first window)', sprintf('%.3f', $u['steady_ratio']), '>= 0.90', $pass('unknown_quota_ratio', $u['steady_ratio'] >= 0.90, sprintf('%.3f', $u['steady_ratio']), '>= 0.90')];
    $rows[] = ['', '(sub)requests answered 429', sprintf('%d of %d = %.2f %%', $u['answered_429'], $u['requests_judged'], $u['pct_429']), '<= 5 %', $pass('unknown_quota_429s', $u['pct_429'] <= 5.0, sprintf('%.2f %%', $u['pct_429']), '<= 5 %')];
    $rows[] = ['', 'sent before a known Retry-After elapsed', (string) $u['sent_during_known_retry_after'], '0', $pass('unknown_quota_early', $u['sent_during_known_retry_after'] === 0, (string) $u['sent_during_known_retry_after'], '0')];
}

if (in_array('four_processes', $only, true)) {
    fwrite(STDERR, "[1c] four processes, one quota\n");
    $rows[] = ['1c four processes', 'one quota, 4 PHP processes, QuotaWorkers', '', '', ''];
    foreach (['known' => 'each told the quota', 'default' => 'each on the default budget'] as $mode => $label) {
        $f = $results['scenarios']['four_processes_' . $mode] = scenario('four_processes.php', ['--client-budget=' . $mode, '--latency-ms=' . $opts->int('quota-latency-ms', 20)], $paths);
        $rows[] = ['', sprintf('%s (%d / %g s): created', $label, $f['client_budget']['writes'], $f['client_budget']['window_s']), sprintf('%d / %d (%d failed)', $f['created'], $f['users'], $f['failed']), '0 failed', $pass('four_processes_' . $mode . '_failed', $f['failed'] === 0, (string) $f['failed'], '0')];
        $rows[] = ['', '  ratio to the ceiling combined', sprintf('%.3f', $f['steady_ratio']), '>= 0.85', $pass('four_processes_' . $mode . '_ratio', $f['steady_ratio'] >= 0.85, sprintf('%.3f', $f['steady_ratio']), '>= 0.85')];
        $rows[] = ['', '  (sub)requests answered 429', sprintf('%d of %d = %.2f %%', $f['answered_429'], $f['requests_judged'], $f['pct_429']), '<= 5 %', $pass('four_processes_' . $mode . '_429s', $f['pct_429'] <= 5.0, sprintf('%.2f %%', $f['pct_429']), '<= 5 %')];
    }
}
if (in_array('queue_drain', $only, true)) {
    fwrite(STDERR, "[1d] queue drain: a backlog drained by the module's queue code\n");
    $d = $results['scenarios']['queue_drain'] = scenario('queue_drain.php', [], $paths);
    $rows[] = ['1d queue drain', sprintf('%d queued creates, %d ms latency, quota %.0f/s', $d['backlog'], $d['latency_ms'], $d['ceiling_per_s']), sprintf('%d linked in %d runs, %.1f s, %d $batch', $d['linked'], $d['runs'], $d['wall_s'], $d['batch_requests']), '', ''];
    $rows[] = ['', 'ratio to the quota (after the first window)', sprintf('%.3f', $d['steady_ratio']), '>= 0.90', $pass('queue_drain_ratio', $d['steady_ratio'] >= 0.90, sprintf('%.3f', $d['steady_ratio']), '>= 0.90')];
    $rows[] = ['', '(sub)requests answered 429', sprintf('%d of %d = %.2f %%', $d['answered_429'], $d['requests_judged'], $d['pct_429']), '', ''];
}
if (in_array('latency', $only, true)) {
    fwrite(STDERR, "[2/4] latency-bound: bulk vs sequential PHP\n");
    $l = scenario('latency.php', array_merge($forward, ['--latency-ms=' . $opts->int('latency-ms', 50)]), $paths);
    $results['scenarios']['latency'] = $l;
    $rows[] = ['2 latency-bound', sprintf('bulk: %d users, %d ms latency, no throttle', $l['bulk_users'], $l['latency_ms']), sprintf('%.0f users/s (%d requests, %.2f s)', $l['bulk_users_per_s'], $l['bulk_requests'], $l['bulk_wall_s']), '', ''];
    $rows[] = ['', sprintf('sequential PHP curl: %d users, 3 req/user', $l['baseline_users']), sprintf('%.1f users/s (%d requests, %.1f s)', $l['baseline_users_per_s'], $l['baseline_requests'], $l['baseline_wall_s']), '', ''];
    $rows[] = ['', 'ratio bulk / sequential', sprintf('%.0fx', $l['ratio']), '>= 50x', $pass('latency_ratio', $l['ratio'] >= 50, sprintf('%.0f', $l['ratio']), '>= 50')];
    $rows[] = ['', $bottleneck($l['bulk_emulator_cpu_share'], $l['bulk_client_cpu_share'], 'latency x round trips'), '', '', ''];
}

if (in_array('ffi', $only, true)) {
    fwrite(STDERR, "[3/4] FFI overhead\n");
    $f = scenario('ffi.php', $forward, $paths);
    $results['scenarios']['ffi'] = $f;
    $rows[] = ['3 FFI overhead', sprintf('mapUser via the binding (median of %d x %d)', $f['rounds'], $f['calls_per_round']), sprintf('%.2f us/call', $f['map_user_binding_us']), '', ''];
    $rows[] = ['', 'entra_map_user raw FFI (JSON pre-encoded)', sprintf('%.2f us/call', $f['map_user_raw_us']), '', ''];
    $rows[] = ['', 'trivial export (entra_abi_version)', sprintf('%.3f us/call', $f['abi_version_call_us']), '', ''];
    $rows[] = ['', sprintf('FFI::cdef + dlopen per process (median of %d)', $f['load_runs']), sprintf('%.0f us (min %.0f, max %.0f)', $f['cdef_load_us'], $f['cdef_load_us_min'], $f['cdef_load_us_max']), '', ''];
    $rows[] = ['', 'entra_client_new, first in process', sprintf('%.0f us', $f['client_new_us']), '', ''];
    $rows[] = ['', 'binding first use (cdef + ABI check + client)', sprintf('%.0f us', $f['binding_connect_us']), '', ''];
}

if (in_array('memory', $only, true)) {
    fwrite(STDERR, "[4/4] memory during a large bulk\n");
    $m = scenario('memory.php', $forward, $paths);
    $results['scenarios']['memory'] = $m;
    $rows[] = ['4 memory', sprintf('%d users in chunks of %d (log off, no throttle)', $m['users'], $m['chunk']), sprintf('%d created in %.1f s (%.0f users/s)', $m['created'], $m['wall_s'], $m['users_per_s']), '', ''];
    $rows[] = ['', 'peak RSS of the PHP process (VmHWM)', sprintf('%.1f MiB', $m['peak_rss_mib']), '<= 64 MiB', $pass('memory_peak_rss', $m['peak_rss_mib'] <= 64.0, sprintf('%.1f MiB', $m['peak_rss_mib']), '<= 64 MiB')];
    $rows[] = ['', 'RSS before / after the first chunk / at the end', sprintf('%.1f / %.1f / %.1f MiB', $m['rss_before_mib'], $m['rss_first_chunk_mib'], $m['rss_after_mib']), '', ''];
    $rows[] = ['', $bottleneck($m['emulator_cpu_share'], $m['client_cpu_share'], 'CPU (no latency, no quota)'), '', '', ''];
}

if (in_array('module_memory', $only, true)) {
    fwrite(STDERR, "[5/5] module bulk memory: 2,000 against 10,000 accounts\n");
    $small = scenario('module_memory.php', ['--accounts=' . $opts->int('module-small', 2000)], $paths);
    $large = scenario('module_memory.php', ['--accounts=' . $opts->int('module-large', 10000)], $paths);
    $results['scenarios']['module_memory'] = ['small' => $small, 'large' => $large];
    $growth = $large['peak_above_start_mib'] - $small['peak_above_start_mib'];
    $rows[] = ['5 module memory', sprintf('BulkSync "all users", chunks of %d, Drupal-like entity cache', $small['chunk']), sprintf('%d / %d created', $small['created'] + $large['created'], $small['accounts'] + $large['accounts']), '', ''];
    $rows[] = ['', sprintf('PHP peak above start: %d / %d accounts', $small['accounts'], $large['accounts']), sprintf('%.1f / %.1f MiB', $small['peak_above_start_mib'], $large['peak_above_start_mib']), '', ''];
    $rows[] = ['', sprintf('peak growth from %d to %d accounts', $small['accounts'], $large['accounts']), sprintf('%+.2f MiB', $growth), '<= 2 MiB', $pass('module_memory_flat', $growth <= 2.0, sprintf('%+.2f MiB', $growth), '<= 2 MiB')];
    $rows[] = ['', 'most accounts in the memory cache at once', sprintf('%d / %d', $small['max_accounts_in_memory_cache'], $large['max_accounts_in_memory_cache']), '', ''];
}

// Not in the default --only list (other scenarios are added there): runs without --only too.
if (in_array('tokens', $only, true) || $opts->string('only', '') === '') {
    fwrite(STDERR, "[tokens] tokens across requests\n");
    $t = $results['scenarios']['tokens'] = scenario('tokens.php', [], $paths);
    $rows[] = ['tokens across requests', sprintf('token requests for %d client_new/call/client_free cycles (%d found)', $t['cycles'], $t['found']), sprintf('%d (%.1f s)', $t['token_requests_emulator'], $t['wall_s']), '1', $pass('tokens_across_requests', $t['token_requests_emulator'] === 1, (string) $t['token_requests_emulator'], '1')];
}

$results['duration_s'] = microtime(true) - $started;
if (!is_dir(dirname($out))) {
    mkdir(dirname($out), 0777, true);
}
file_put_contents($out, json_encode($results, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR) . "\n");

// The table.
$widths = [0, 0, 0, 0, 0];
$header = ['scenario', 'metric', 'value', 'target', ''];
foreach (array_merge([$header], $rows) as $row) {
    foreach ($row as $i => $cell) {
        // A bottleneck line spans the metric, value and target columns.
        if ($i === 1 && $row[2] === '' && $row[3] === '' && $row[4] === '') {
            continue;
        }
        $widths[$i] = max($widths[$i], mb_strlen($cell));
    }
}
$line = static function (array $row) use ($widths): string {
    $out = '';
    foreach ($row as $i => $cell) {
        $out .= $cell . str_repeat(' ', max(0, $widths[$i] - mb_strlen($cell))) . '  ';
    }

    return rtrim($out);
};
echo sprintf("\nmake bench: entra_provisioning %s, PHP %s, %d CPUs, load %s (noisy shared machine: read the ratios)\n\n",
    $results['machine']['library_version'], PHP_VERSION, $results['machine']['cpus'], $load === false ? '?' : implode(' ', array_map(static fn ($v) => sprintf('%.2f', $v), $load)));
echo $line($header), "\n", str_repeat('-', array_sum($widths) + 8), "\n";
$previous = null;
foreach ($rows as $row) {
    if ($row[0] !== '' && $previous !== null) {
        echo "\n";
    }
    echo $line($row), "\n";
    $previous = $row;
}
$missed = array_keys(array_filter($results['targets'], static fn (array $t): bool => !$t['ok']));
echo sprintf("\n%d of %d targets met%s; %.0f s; results: %s\n", count($results['targets']) - count($missed), count($results['targets']),
    $missed === [] ? '' : ' (missed: ' . implode(', ', $missed) . ')', $results['duration_s'], $out);
