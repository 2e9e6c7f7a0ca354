<?php

/**
 * @file
 * One of the processes of four_processes.php: bulk-provisions its users against the emulator at
 * --url in chunks, as BulkSync does: each call registered with the module's QuotaWorkers, so
 * the library keeps to this process's part of the budget. The registry is a file in --registry
 * (the site's database in Drupal; see FileQuotaWorkerRegistry). Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/quota_worker.php --url=http://127.0.0.1:PORT
 *       --registry=DIR --offset=0 --users=300 [--chunk=100] [--write-budget=100]
 *       [--write-window-s=5] [--workers=shared|alone]
 */

declare(strict_types=1);

namespace EntraBench;

use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;

require __DIR__ . '/lib.php';
require_once dirname(__DIR__, 2) . '/drupal_module/src/Native/LibraryFacts.php';
require_once dirname(__DIR__, 2) . '/drupal_module/src/Provisioning/QuotaWorkerRegistryInterface.php';
require_once dirname(__DIR__, 2) . '/drupal_module/src/Provisioning/QuotaWorkers.php';
require_once __DIR__ . '/FileQuotaWorkerRegistry.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$url = $opts->string('url', '');
$offset = $opts->int('offset', 0);
$n = $opts->int('users', 300);
$chunk = $opts->int('chunk', 100);
$budget = ['writes' => $opts->int('write-budget', 100), 'window_s' => $opts->float('write-window-s', 5.0)];
$shared = $opts->string('workers', 'shared') === 'shared';
$workers = new QuotaWorkers(new FileQuotaWorkerRegistry($opts->string('registry', sys_get_temp_dir())));

$native = native($paths, client_config($url, ['write_budget' => $budget, 'max_retries' => 10]));
$native->connect();
// As BulkSync and the queue do: one call alone, short calls (the library's size) while others
// write too.
$perSharedCall = (new LibraryFacts($native->describe()))->usersPerSharedCall();
$send = static fn (array $part): array => $shared
    ? $workers->sendInCalls($part, 120, $perSharedCall, static fn (array $users, int $count): array => $native->bulkProvision($users, $count))
    : $native->bulkProvision($part);
$bulk = bulk_in_chunks($native, drupal_users('shared.user', $offset, $n), $chunk, null, $send);
$client = $native->clientStats();
emit(['created' => $bulk['created'], 'failed' => $bulk['failed'], 'errors' => $bulk['errors'], 'throttled_client' => (int) ($client['throttled'] ?? 0)]);
$native->close();
