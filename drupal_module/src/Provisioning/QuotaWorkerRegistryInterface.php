<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The processes of the site working against the application's Graph quota
 * now, in a store every web head, cron and Drush process shares.
 */
interface QuotaWorkerRegistryInterface {

  /**
   * Registers (or renews) worker $id for the next $ttlSeconds.
   */
  public function register(string $id, int $ttlSeconds): void;

  /**
   * How many workers are registered and not expired.
   */
  public function count(): int;

  /**
   * Removes worker $id.
   */
  public function unregister(string $id): void;

}
