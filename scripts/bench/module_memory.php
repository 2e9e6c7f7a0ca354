<?php

/**
 * @file
 * Scenario 5, module bulk memory: the module's real bulk code (BulkSync, the
 * ClientFactory, the binding, the library) runs "Sync all users" over N
 * accounts, as "drush entra:provision --all" does, against the emulator.
 * Drupal's storage is replaced by stand-ins that keep its memory rules:
 *
 * - accounts come from a user source that behaves like Drupal's entity
 *   storage: every loaded account stays in its memory cache until
 *   resetCache() forgets it (what made the real run grow to 118.8 MB for
 *   2,000 users), and the accounts themselves live outside PHP (a
 *   database), so they are built on load;
 * - link records live outside PHP too (one small file per account in a
 *   scratch folder, as a database table would).
 *
 * Prints BENCH_RESULT=<json> with the peak memory of this process above its
 * start (memory_get_peak_usage), so that make bench can compare 2,000 and
 * 10,000 accounts: the peak must not grow with N.
 *
 *   php -d ffi.enable=preload scripts/bench/module_memory.php --accounts=2000 [--chunk=100]
 */

declare(strict_types=1);

namespace EntraBench;

use Drupal\entra_provisioning\Provisioning\AccountWriter;
use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\BulkSync;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EchoGuard;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\LinkStoreInterface;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\SystemTime;
use Drupal\entra_provisioning\Provisioning\UserSourceInterface;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeLock;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryAccountStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Psr\Log\NullLogger;

require __DIR__ . '/lib.php';
require dirname(__DIR__, 2) . '/drupal_module/tests/bootstrap.php';
require dirname(__DIR__, 2) . '/drupal_module/tests/bootstrap-psr.php';

/**
 * Drupal's user storage as far as memory goes: accounts are rows outside
 * PHP, and each loaded account (with the fields an entity carries) stays in
 * the memory cache until resetCache().
 */
final class EntityLikeUserSource implements UserSourceInterface
{
    /**
     * @var array<int, array<string, mixed>>
     */
    private array $memoryCache = [];

    /**
     * The most accounts the memory cache ever held at once.
     */
    public int $maxCached = 0;

    public function __construct(private int $accounts, private string $prefix)
    {
    }

    public function load(int $uid, array $fieldNames): ?array
    {
        if ($uid < 1 || $uid > $this->accounts) {
            return null;
        }
        // A loaded user entity weighs tens of kilobytes in Drupal (field item
        // lists, typed data); 16 KiB of payload stands for it here.
        $this->memoryCache[$uid] ??= ['entity' => str_repeat('x', 16384), 'user' => [
            'uid' => $uid, 'name' => $this->prefix . $uid, 'mail' => $this->prefix . $uid . '@example.com',
            'status' => 1, 'roles' => ['authenticated'], 'fields' => [],
        ]];
        $this->maxCached = max($this->maxCached, count($this->memoryCache));

        return $this->memoryCache[$uid]['user'];
    }

    public function loadMultiple(array $uids, array $fieldNames): array
    {
        $users = [];
        foreach ($uids as $uid) {
            $user = $this->load($uid, $fieldNames);
            if ($user !== null) {
                $users[$uid] = $user;
            }
        }

        return $users;
    }

    public function resetCache(array $uids): void
    {
        foreach ($uids as $uid) {
            unset($this->memoryCache[$uid]);
        }
    }

    public function uidsAfter(int $afterUid, int $limit, BulkScope $scope): array
    {
        $from = max($afterUid + 1, $scope->minUid());

        return $from > $this->accounts ? [] : range($from, min($this->accounts, $from + $limit - 1));
    }

    public function count(BulkScope $scope): int
    {
        return max(0, $this->accounts - $scope->minUid() + 1);
    }

    public function uidsByNames(array $names): array
    {
        return [];
    }
}

/**
 * The link table outside PHP: one file per uid.
 */
final class FileLinkStore implements LinkStoreInterface
{
    public function __construct(private string $dir)
    {
    }

    private function path(int $uid): string
    {
        return $this->dir . '/' . $uid . '.json';
    }

    public function load(int $uid): ?LinkRecord
    {
        $raw = @file_get_contents($this->path($uid));

        return is_string($raw) ? LinkRecord::fromArray(json_decode($raw, true)) : null;
    }

    public function loadByEntraId(string $entraId): ?LinkRecord
    {
        // Only asked on conflicts, which this scenario does not have.
        return null;
    }

    public function save(LinkRecord $record): void
    {
        file_put_contents($this->path($record->uid), json_encode($record->toArray()));
    }

    public function delete(int $uid): void
    {
        @unlink($this->path($uid));
    }

    public function countByResult(): array
    {
        return array_fill_keys(LinkRecord::RESULTS, 0);
    }

    public function reserveSequence(int $uid, int $now, callable $enqueue): int
    {
        $enqueue(1);

        return 1;
    }

    public function markDone(int $uid, int $seq): void
    {
    }
}

$opts = new Options($argv);
$paths = $opts->artifacts();
$accounts = max(2, $opts->int('accounts', 2000));
$chunk = max(1, $opts->int('chunk', 100));

$emulator = new Emulator($paths['emulator'], ['--no-throttle']);
$emulator->control('POST', 'config', ['request_log' => false, 'latency_ms' => 0]);
$scratch = sys_get_temp_dir() . '/entra-bench-links-' . getmypid();
mkdir($scratch);

$config = ArrayConfigSource::defaults([
    'connection' => ['tenant_id' => TENANT_ID, 'client_id' => CLIENT_ID, 'primary_domain' => DOMAIN],
    'bulk' => ['chunk_size' => $chunk],
]);
$site = ['library' => $paths['library'], 'header' => $paths['header'], 'login_endpoint' => $emulator->url(), 'graph_endpoint' => $emulator->url(), 'write_budget' => null];
$state = new InMemoryState();
$state->set(ClientFactory::STATE_SECRET, CLIENT_SECRET);
$clock = new SystemTime();
$logger = new NullLogger();
$clients = new ClientFactory(new ArrayConfigSource($config, $site), $state, new FakeKeyRepository(), new EntraNativeFactory());
$links = new FileLinkStore($scratch);
$users = new EntityLikeUserSource($accounts, 'module.mem.');
$accountStore = new InMemoryAccountStore();
$guard = new EchoGuard();
$matcher = new IdentityMatcher($clients, $links, new InMemoryMatchStore(), $users, $accountStore, new AccountWriter($accountStore), $guard, $clock, $logger);
$workers = new QuotaWorkers(new InMemoryQuotaWorkerRegistry($clock));
$provisioner = new Provisioner($clients, $links, $users, new InMemoryQueue(new FakeClock()), new FakeLock(), $state, $clock, new ResultFormatter(), $logger, $matcher, new RemovalGuard($clients, new InMemoryRemovalStore(), $clock, $logger), new QueueSuspension($state, $clock, $logger), $workers);
$bulk = new BulkSync($clients, $provisioner, $links, $users, $clock, new ResultFormatter(), $logger, $matcher, $workers);

// Warm up everything that is loaded once per process (FFI, the client, the
// token), so the peak measures what grows with the accounts.
$clients->client()->mapUser(['uid' => 1, 'name' => 'warm.up', 'status' => 1]);
$clients->client()->findUser(['upn' => 'nobody@' . DOMAIN]);
gc_collect_cycles();
$base = memory_get_usage();
if (function_exists('memory_reset_peak_usage')) {
    memory_reset_peak_usage();
}
$basePeak = memory_get_peak_usage();
note(sprintf('module memory: %d accounts in chunks of %d', $accounts, $chunk));

$t0 = hrtime(true);
$summary = $bulk->run(null, $chunk, null, new BulkScope(true, false));
$wall = (hrtime(true) - $t0) / 1e9;

emit([
    'accounts' => $accounts,
    'chunk' => $chunk,
    'counts' => $summary->counts,
    'created' => $summary->counts['created'],
    'first_failures' => array_slice($summary->failures, 0, 2),
    'failed' => $summary->counts['failed'],
    'peak_above_start_mib' => (memory_get_peak_usage() - $basePeak) / 1048576,
    'end_above_start_mib' => (memory_get_usage() - $base) / 1048576,
    'peak_reset_supported' => function_exists('memory_reset_peak_usage'),
    'max_accounts_in_memory_cache' => $users->maxCached,
    'wall_s' => $wall,
]);
exec('rm -rf ' . escapeshellarg($scratch));
$emulator->stop();
