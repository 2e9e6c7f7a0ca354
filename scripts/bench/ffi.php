<?php

/**
 * @file
 * Scenario 3, FFI overhead (no network): the median cost of mapUser from PHP
 * through the binding (JSON encode + FFI call + Rust mapping + JSON decode),
 * the same export called raw through FFI (pre-encoded input, result copied and
 * freed), a trivial export (entra_abi_version), and the per-process cost of
 * FFI::cdef + library load and of the binding's first use, each measured in
 * fresh `php` processes. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/ffi.php [--map-calls=1000] [--rounds=30] [--load-runs=20]
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$calls = max(1, $opts->int('map-calls', 1000));
$rounds = max(1, $opts->int('rounds', 30));
$loadRuns = max(1, $opts->int('load-runs', 20));

$user = drupal_users('ffi.user', 0, 1)[0];
$user['fields'] = ['field_first_name' => 'Ada'];
$native = native($paths, client_config('http://127.0.0.1:9', ['mapping' => ['properties' => ['field_first_name' => 'givenName']]]));
$native->connect();
$native->mapUser($user);

// Through the binding.
$binding = [];
for ($r = 0; $r < $rounds; $r++) {
    $t0 = hrtime(true);
    for ($i = 0; $i < $calls; $i++) {
        $native->mapUser($user);
    }
    $binding[] = (hrtime(true) - $t0) / 1e3 / $calls;
}

// Raw FFI: the same export with pre-encoded JSON, result copied and freed.
$ffi = \FFI::cdef((string) file_get_contents($paths['header']), $paths['library']);
$client = $ffi->new('EntraClient*');
$out = $ffi->new('char*');
$status = $ffi->entra_client_new(json_encode(client_config('http://127.0.0.1:9'), JSON_THROW_ON_ERROR), \FFI::addr($client), \FFI::addr($out));
if (!\FFI::isNull($out)) {
    $ffi->entra_string_free($out);
}
if ((int) $status !== 0) {
    throw new \RuntimeException('entra_client_new failed: ' . $status);
}
$json = json_encode($user, JSON_THROW_ON_ERROR);
$raw = [];
for ($r = 0; $r < $rounds; $r++) {
    $t0 = hrtime(true);
    for ($i = 0; $i < $calls; $i++) {
        $out = $ffi->new('char*');
        $ffi->entra_map_user($client, $json, \FFI::addr($out));
        $s = \FFI::string($out);
        $ffi->entra_string_free($out);
    }
    $raw[] = (hrtime(true) - $t0) / 1e3 / $calls;
}
$trivial = [];
for ($r = 0; $r < $rounds; $r++) {
    $t0 = hrtime(true);
    for ($i = 0; $i < $calls * 10; $i++) {
        $ffi->entra_abi_version();
    }
    $trivial[] = (hrtime(true) - $t0) / 1e3 / ($calls * 10);
}
$ffi->entra_client_free($client);

// Fresh processes.
$sample = static function (string $which) use ($paths): array {
    $cmd = [PHP_BINARY, '-d', 'ffi.enable=preload', __DIR__ . '/ffi_load.php', '--which=' . $which,
        '--library=' . $paths['library'], '--header=' . $paths['header'], '--emulator=' . $paths['emulator']];
    $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $stdout = stream_get_contents($pipes[1]);
    $stderr = stream_get_contents($pipes[2]);
    fclose($pipes[1]);
    fclose($pipes[2]);
    if (proc_close($p) !== 0 || preg_match('/^BENCH_RESULT=(.*)$/m', (string) $stdout, $m) !== 1) {
        throw new \RuntimeException('ffi_load.php failed: ' . $stdout . $stderr);
    }

    return json_decode($m[1], true, 512, JSON_THROW_ON_ERROR);
};
$loads = ['raw' => [], 'binding' => []];
for ($r = 0; $r < $loadRuns; $r++) {
    $loads['raw'][] = $sample('raw');
    $loads['binding'][] = $sample('binding');
}
$col = static fn (array $rows, string $key): array => array_map(static fn (array $row): float => (float) $row[$key], $rows);

emit([
    'calls_per_round' => $calls,
    'rounds' => $rounds,
    'map_user_binding_us' => median($binding),
    'map_user_binding_us_min' => min($binding),
    'map_user_raw_us' => median($raw),
    'abi_version_call_us' => median($trivial),
    'load_runs' => $loadRuns,
    'cdef_load_us' => median($col($loads['raw'], 'cdef_us')),
    'cdef_load_us_min' => min($col($loads['raw'], 'cdef_us')),
    'cdef_load_us_max' => max($col($loads['raw'], 'cdef_us')),
    'client_new_us' => median($col($loads['raw'], 'client_new_us')),
    'binding_connect_us' => median($col($loads['binding'], 'binding_connect_us')),
    'binding_first_map_us' => median($col($loads['binding'], 'binding_first_map_us')),
    'map_output_sample' => $native->mapUser($user),
]);
$native->close();
