<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake;

use Drupal\entra_provisioning\Provisioning\UserLockInterface;

final class FakeLock implements UserLockInterface
{
    /**
     * @var array<string, true>
     */
    public array $held = [];

    /**
     * Names another process holds.
     *
     * @var array<string, true>
     */
    public array $foreign = [];

    public function acquire(string $name, float $timeoutSeconds): bool
    {
        if (isset($this->foreign[$name]) || isset($this->held[$name])) {
            return false;
        }
        $this->held[$name] = true;

        return true;
    }

    public function release(string $name): void
    {
        unset($this->held[$name]);
    }
}
