<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\Core\KeyValueStore\KeyValueExpirableFactoryInterface;
use Drupal\Core\KeyValueStore\KeyValueStoreExpirableInterface;
use Drupal\entra_provisioning\Provisioning\QuotaWorkerRegistryInterface;

/**
 * The quota's workers in Drupal's expirable key-value store (the database
 * unless settings.php moves it), shared by every process of the site.
 */
final class ExpirableQuotaWorkerRegistry implements QuotaWorkerRegistryInterface {

  public const COLLECTION = 'entra_provisioning.quota_workers';

  public function __construct(
    private KeyValueExpirableFactoryInterface $keyValue,
    private TimeInterface $time
  ) {
  }

  private function store(): KeyValueStoreExpirableInterface {
    return $this->keyValue->get(self::COLLECTION);
  }

  public function register(string $id, int $ttlSeconds): void {
    // The database store dates the expiry from the request's start time, and
    // a Drush run or a cron run lasts long after it started.
    $running = max(0, $this->time->getCurrentTime() - $this->time->getRequestTime());
    $this->store()->setWithExpire($id, $this->time->getCurrentTime(), $ttlSeconds + $running);
  }

  public function count(): int {
    return count($this->store()->getAll());
  }

  public function unregister(string $id): void {
    $this->store()->delete($id);
  }

}
