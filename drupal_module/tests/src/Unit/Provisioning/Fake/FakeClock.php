<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake;

use Drupal\entra_provisioning\Provisioning\ClockInterface;

final class FakeClock implements ClockInterface
{
    public float $time;

    /**
     * Seconds added by every microtime() call (lets budgets run out).
     */
    public float $tick = 0.0;

    public function __construct(float $time = 1700000000.0)
    {
        $this->time = $time;
    }

    public function now(): int
    {
        return (int) $this->time;
    }

    public function microtime(): float
    {
        $this->time += $this->tick;

        return $this->time;
    }

    public function advance(float $seconds): void
    {
        $this->time += $seconds;
    }
}
