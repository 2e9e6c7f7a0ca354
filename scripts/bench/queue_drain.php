<?php

/**
 * @file
 * Queue drain: a backlog of --backlog queued creates (a burst of registrations, a scripted
 * import of accounts) drained by the module's own queue code (QueueRunner and Provisioner over
 * in-memory Drupal storage, as the integration tests wire them), the real library and the
 * emulator with --latency-ms per answer and a write quota of 100 per 5 s (20/s), the client on
 * its default budget. Prints BENCH_RESULT=<json>.
 *
 *   php -d ffi.enable=preload scripts/bench/queue_drain.php [--backlog=2000] [--latency-ms=50]
 *       [--write-budget=100] [--write-window-s=5]
 */

declare(strict_types=1);

namespace EntraBench;

use Drupal\entra_provisioning\Provisioning\AccountWriter;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EchoGuard;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\entra_provisioning\Provisioning\QueueRunner;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeLock;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryAccountStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryUserSource;
use Drupal\Tests\entra_provisioning\Support\SystemTime;
use Psr\Log\NullLogger;

require __DIR__ . '/lib.php';
require_once dirname(__DIR__, 2) . '/drupal_module/tests/bootstrap.php';

$opts = new Options($argv);
$paths = $opts->artifacts();
$backlog = $opts->int('backlog', 2000);
$latency = $opts->int('latency-ms', 50);
$budget = $opts->int('write-budget', 100);
$window = $opts->float('write-window-s', 5.0);
$ceiling = $budget / $window;

$emulator = new Emulator($paths['emulator'], [
    '--write-budget', (string) $budget, '--write-window-s', (string) $window, '--latency-ms', (string) $latency,
]);
note(sprintf('queue_drain: %d queued creates, emulator %d writes / %g s, latency %d ms, the client on its default budget', $backlog, $budget, $window, $latency));

$clock = new SystemTime();
$logger = new NullLogger();
$links = new InMemoryLinkStore();
$users = new InMemoryUserSource();
$queue = new InMemoryQueue($clock);
$state = new InMemoryState();
$state->set(ClientFactory::STATE_SECRET, CLIENT_SECRET);
$config = new ArrayConfigSource(ArrayConfigSource::defaults([
    'connection' => ['tenant_id' => TENANT_ID, 'client_id' => CLIENT_ID, 'primary_domain' => DOMAIN],
    'provisioning' => ['auto_create' => TRUE],
]), ['library' => $paths['library'], 'header' => $paths['header'], 'login_endpoint' => $emulator->url(), 'graph_endpoint' => $emulator->url()]);
$clients = new ClientFactory($config, $state, new FakeKeyRepository(), new EntraNativeFactory());
$accounts = new InMemoryAccountStore();
$matcher = new IdentityMatcher($clients, $links, new InMemoryMatchStore(), $users, $accounts, new AccountWriter($accounts), new EchoGuard(), $clock, $logger);
$provisioner = new Provisioner($clients, $links, $users, $queue, new FakeLock(), $state, $clock, new ResultFormatter(), $logger, $matcher, new RemovalGuard($clients, new InMemoryRemovalStore(), $clock, $logger), new QueueSuspension($state, $clock, $logger), new QuotaWorkers(new InMemoryQuotaWorkerRegistry($clock)));
$runner = new QueueRunner($queue, $provisioner, $clock, $logger);

for ($uid = 2; $uid < $backlog + 2; $uid++) {
    $users->add($uid, 'queued.user' . $uid);
    $provisioner->enqueue(QueueItem::OP_PROVISION, $uid);
}

$t0 = hrtime(true);
$totals = ['done' => 0, 'failed' => 0, 'retry' => 0, 'blocked' => 0, 'review' => 0];
$runs = 0;
// Cron-like runs of 60 s each until the backlog is gone (delayed items come back on time).
while ($queue->count() > 0 && $runs < 200) {
    $stats = $runner->run(60.0, 5000);
    $runs++;
    foreach ($totals as $key => $count) {
        $totals[$key] = $count + $stats[$key];
    }
    note(sprintf('queue_drain: run %d: %d done, %d retry; %d left after %.1f s', $runs, $stats['done'], $stats['retry'], $queue->count(), (hrtime(true) - $t0) / 1e9));
    if ($stats['claimed'] === 0) {
        usleep(200000);
    }
}
$wall = (hrtime(true) - $t0) / 1e9;
$stats = $emulator->stats();
$seen = throttle_analysis($emulator->requests(), $latency);
$steady = steady_ratio($seen['creates_s'], $budget, $ceiling);
$linked = 0;
foreach ($links->records as $record) {
    $linked += $record->isLinked() ? 1 : 0;
}

emit([
    'backlog' => $backlog,
    'emulator_budget' => ['writes' => $budget, 'window_s' => $window],
    'latency_ms' => $latency,
    'ceiling_per_s' => $ceiling,
    'linked' => $linked,
    'outcomes' => $totals,
    'runs' => $runs,
    'wall_s' => $wall,
    'server_create_span_s' => $steady['span_s'],
    'steady_creates_per_s' => $steady['per_s'],
    'steady_ratio' => $steady['ratio'],
    'requests_judged' => $seen['requests_judged'],
    'answered_429' => $seen['answered_429'],
    'pct_429' => $seen['pct_429'],
    'batch_requests' => (int) $stats['batch_requests'],
]);
$emulator->stop();
