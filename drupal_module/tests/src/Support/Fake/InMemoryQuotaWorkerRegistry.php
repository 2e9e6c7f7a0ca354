<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\entra_provisioning\Provisioning\QuotaWorkerRegistryInterface;

/**
 * The quota's workers in memory, expiring by the given clock as the
 * database store does.
 */
final class InMemoryQuotaWorkerRegistry implements QuotaWorkerRegistryInterface {

  /**
   * Worker id => expiry (Unix time).
   *
   * @var array<string, int>
   */
  public array $expires = [];

  public function __construct(private TimeInterface $clock) {
  }

  public function register(string $id, int $ttlSeconds): void {
    $this->expires[$id] = $this->clock->getCurrentTime() + $ttlSeconds;
  }

  public function count(): int {
    $now = $this->clock->getCurrentTime();

    return count(array_filter($this->expires, static fn (int $until): bool => $until > $now));
  }

  public function unregister(string $id): void {
    unset($this->expires[$id]);
  }

}
