<?php

/**
 * @file
 * Scenario "Tokens across requests": 1,000 cycles of what one PHP-FPM request
 * does with the library (a client handle made, one Graph call, the handle
 * freed) in one php process, against the release emulator, which counts the
 * token requests it receives. The library's process-wide token cache should
 * make that 1. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/tokens.php
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

const CYCLES = 1000;

$opts = new Options($argv);
$paths = $opts->artifacts();

$emulator = new Emulator($paths['emulator'], ['--seed-user', 'adele@' . DOMAIN . '|Adele Vance|adele@contoso.com']);
$config = client_config($emulator->url());
note(sprintf('tokens: %d client_new / findUser / client_free cycles', CYCLES));

$t0 = hrtime(true);
$found = 0;
for ($i = 0; $i < CYCLES; $i++) {
    // One FPM request: the binding object, its handle (entra_client_new), one call, entra_client_free.
    $native = native($paths, $config);
    $native->connect();
    if ($native->findUser(['upn' => 'adele@' . DOMAIN])['found'] ?? false) {
        $found++;
    }
    $native->close();
}
$wall = (hrtime(true) - $t0) / 1e9;
$stats = $emulator->stats();
$emulator->stop();

emit([
    'cycles' => CYCLES,
    'found' => $found,
    'wall_s' => $wall,
    'token_requests_emulator' => (int) $stats['token_requests'],
    'graph_requests_emulator' => (int) $stats['graph_requests'],
]);
