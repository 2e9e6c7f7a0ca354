<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Drupal;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\Core\KeyValueStore\KeyValueExpirableFactoryInterface;
use Drupal\Core\KeyValueStore\KeyValueStoreExpirableInterface;
use Drupal\entra_provisioning\Drupal\ExpirableQuotaWorkerRegistry;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Drupal\entra_provisioning\Drupal\ExpirableQuotaWorkerRegistry
 */
final class ExpirableQuotaWorkerRegistryTest extends TestCase {

  public function testARegistrationLateInALongRunStillLastsItsTimeToLive(): void {
    // A Drush run that started 600 s ago: the request time stays at its start.
    $time = new class implements TimeInterface {

      public int $request = 1_700_000_000;

      public int $now = 1_700_000_600;

      public function getRequestTime(): int {
        return $this->request;
      }

      public function getRequestMicroTime(): float {
        return (float) $this->request;
      }

      public function getCurrentTime(): int {
        return $this->now;
      }

      public function getCurrentMicroTime(): float {
        return (float) $this->now;
      }

    };
    $store = new DatabaseRulesExpirableStore($time);
    $factory = new class($store) implements KeyValueExpirableFactoryInterface {

      public ?string $collection = NULL;

      public function __construct(private KeyValueStoreExpirableInterface $store) {
      }

      public function get($collection) {
        $this->collection = $collection;

        return $this->store;
      }

    };
    $registry = new ExpirableQuotaWorkerRegistry($factory, $time);
    $registry->register('drush-worker', 120);
    self::assertSame(ExpirableQuotaWorkerRegistry::COLLECTION, $factory->collection);
    self::assertSame(1, $registry->count(), 'registered for 120 s from now, not from the start of the run');
    self::assertSame(1_700_000_720, $store->expire['drush-worker']);

    // Another process, whose request started now, still sees it until it expires.
    $time->request = 1_700_000_700;
    self::assertSame(1, $registry->count());
    $time->request = 1_700_000_720;
    self::assertSame(0, $registry->count());

    $registry->register('drush-worker', 120);
    $registry->unregister('drush-worker');
    self::assertSame(0, $registry->count());
  }

}

/**
 * The rules of core's DatabaseStorageExpirable: an expiry is the request
 * time plus the time to live, and an entry is visible while its expiry is
 * after the request time.
 */
final class DatabaseRulesExpirableStore implements KeyValueStoreExpirableInterface {

  /**
   * @var array<string, mixed>
   */
  public array $values = [];

  /**
   * @var array<string, int>
   */
  public array $expire = [];

  public function __construct(private TimeInterface $time) {
  }

  public function setWithExpire($key, $value, $expire) {
    $this->values[$key] = $value;
    $this->expire[$key] = $this->time->getRequestTime() + $expire;
  }

  public function getAll() {
    $now = $this->time->getRequestTime();

    return array_filter($this->values, fn (string $key): bool => $this->expire[$key] > $now, ARRAY_FILTER_USE_KEY);
  }

  public function delete($key) {
    unset($this->values[$key], $this->expire[$key]);
  }

  public function getCollectionName() {
    return ExpirableQuotaWorkerRegistry::COLLECTION;
  }

  public function has($key) {
    return array_key_exists($key, $this->getAll());
  }

  public function get($key, $default = NULL) {
    return $this->getAll()[$key] ?? $default;
  }

  public function getMultiple(array $keys) {
    return array_intersect_key($this->getAll(), array_flip($keys));
  }

  public function getAllKeys(): iterable {
    return array_keys($this->getAll());
  }

  public function set($key, $value) {
    throw new \LogicException('The registry only writes with an expiry.');
  }

  public function setIfNotExists($key, $value) {
    throw new \LogicException('The registry only writes with an expiry.');
  }

  public function setMultiple(array $data) {
    throw new \LogicException('The registry only writes with an expiry.');
  }

  public function rename($key, $new_key) {
    throw new \LogicException('Not used by the registry.');
  }

  public function deleteMultiple(array $keys) {
    foreach ($keys as $key) {
      $this->delete($key);
    }
  }

  public function deleteAll() {
    $this->values = [];
    $this->expire = [];
  }

  public function setWithExpireIfNotExists($key, $value, $expire) {
    throw new \LogicException('Not used by the registry.');
  }

  public function setMultipleWithExpire(array $data, $expire) {
    throw new \LogicException('Not used by the registry.');
  }

}
