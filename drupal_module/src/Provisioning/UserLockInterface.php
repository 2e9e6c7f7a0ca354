<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * A named, expiring lock shared by every web head and cron runner.
 */
interface UserLockInterface {

  public function acquire(string $name, float $timeoutSeconds): bool;

  public function release(string $name): void;
}
