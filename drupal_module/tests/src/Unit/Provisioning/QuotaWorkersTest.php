<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

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

}
