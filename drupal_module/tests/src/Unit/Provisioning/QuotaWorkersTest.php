<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\QuotaWorkerRegistryInterface;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Drupal\entra_provisioning\Provisioning\QuotaWorkers
 */
final class QuotaWorkersTest extends TestCase {

  public function testEachProcessIsCountedWhileItWritesAndAStaleOneExpires(): void {
    $clock = new FakeClock(1_700_000_000);
    $registry = new InMemoryQuotaWorkerRegistry($clock);
    $cron = new QuotaWorkers($registry);
    $drush = new QuotaWorkers($registry);
    $crashed = new QuotaWorkers($registry);
    // A process that died while registered: it counts until it expires.
    $registry->register('crashed-worker', 90);

    $seen = $cron->during(120, static fn (int $workers): int => $workers);
    self::assertSame(2, $seen);
    $nested = $cron->during(120, static fn (int $outer): array => [$outer, $drush->during(120, static fn (int $inner): int => $inner), $cron->during(120, static fn (int $again): int => $again)]);
    self::assertSame([2, 3, 2], $nested);
    self::assertSame(1, $registry->count(), 'only the crashed registration is left');

    $clock->advance(91);
    self::assertSame(1, $crashed->during(60, static fn (int $workers): int => $workers));
    self::assertSame(0, $registry->count());
  }

  public function testTheRegistrationIsRemovedWhenTheWorkThrows(): void {
    $registry = new InMemoryQuotaWorkerRegistry(new FakeClock(1_700_000_000));
    $workers = new QuotaWorkers($registry);
    try {
      $workers->during(60, static function (int $n): void {
        throw new \RuntimeException('Graph is down');
      });
      self::fail('The exception was swallowed.');
    }
    catch (\RuntimeException $e) {
      self::assertSame('Graph is down', $e->getMessage());
    }
    self::assertSame(0, $registry->count());
  }

  public function testAloneOneCallSharedCallsOfOneBatchEachCountedAnew(): void {
    $registry = new InMemoryQuotaWorkerRegistry(new FakeClock(1_700_000_000));
    $workers = new QuotaWorkers($registry);
    $users = array_map(static fn (int $uid): array => ['uid' => $uid], range(1, 50));
    $calls = [];
    $send = static function (array $part, int $count) use (&$calls): array {
      $calls[] = [count($part), $count];

      return ['results' => array_map(static fn (array $u): array => ['uid' => $u['uid'], 'ok' => TRUE], $part)];
    };
    $alone = $workers->sendInCalls($users, 60, 20, $send);
    self::assertSame([[50, 1]], $calls);
    self::assertSame(range(1, 50), array_column($alone['results'], 'uid'));

    // Another process writes too: calls of 20, and when it leaves after the
    // second call, the rest goes in one call at the whole budget.
    $calls = [];
    $registry->register('other', 60);
    $leaving = static function (array $part, int $count) use ($send, $registry, &$calls): array {
      $result = $send($part, $count);
      if (count($calls) === 2) {
        $registry->unregister('other');
      }

      return $result;
    };
    $shared = $workers->sendInCalls($users, 60, 20, $leaving);
    self::assertSame([[20, 2], [20, 2], [10, 1]], $calls);
    self::assertSame(range(1, 50), array_column($shared['results'], 'uid'));
    self::assertSame(0, $registry->count(), 'unregistered after the last call');
  }

  public function testAProcessStaysRegisteredBetweenItsCalls(): void {
    // Records what the process does to the registry, in order.
    $registry = new class(new InMemoryQuotaWorkerRegistry(new FakeClock(1_700_000_000))) implements QuotaWorkerRegistryInterface {

      /**
       * @var list<string>
       */
      public array $events = [];

      public function __construct(private InMemoryQuotaWorkerRegistry $inner) {
      }

      public function register(string $id, int $ttlSeconds): void {
        $this->events[] = 'register';
        $this->inner->register($id, $ttlSeconds);
      }

      public function count(): int {
        return $this->inner->count();
      }

      public function unregister(string $id): void {
        $this->events[] = 'unregister';
        $this->inner->unregister($id);
      }

    };
    $registry->register('other', 60);
    $registry->events = [];
    $workers = new QuotaWorkers($registry);
    $users = array_map(static fn (int $uid): array => ['uid' => $uid], range(1, 15));
    $counts = [];
    $workers->sendInCalls($users, 60, 5, static function (array $part, int $count) use (&$counts): array {
      $counts[] = $count;

      return ['results' => array_map(static fn (array $u): array => ['uid' => $u['uid']], $part)];
    });
    self::assertSame([2, 2, 2], $counts);
    // Renewed for each call, removed once: after the last.
    self::assertSame(['register', 'register', 'register', 'register', 'unregister'], $registry->events);
    self::assertSame(1, $registry->count());
  }
}
