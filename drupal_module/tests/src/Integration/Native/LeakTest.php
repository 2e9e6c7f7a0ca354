<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\Exception\ValidationException;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Leak check: 100,000 no-network calls from PHP through the binding, and the
 * process's resident memory stays put.
 *
 * Every call allocates a string in Rust that the binding copies and hands
 * back to entra_string_free, on the success path (mapUser) and on the error
 * path (a validation error: error JSON, typed exception). Losing one such
 * string per call (>= ~200 bytes) would add >= 19 MiB over the run; the bound
 * below is 4 MiB, room for the allocators' own growth.
 */
final class LeakTest extends NativeTestCase
{
    private const CALLS = 100000;

    private const WARM_UP = 2000;

    private const MAX_RSS_GROWTH_KIB = 4096;

    public function testOneHundredThousandCallsDoNotGrowResidentMemory(): void
    {
        $native = $this->native(self::offlineConfig([
            'mapping' => ['properties' => ['field_first_name' => 'givenName', 'field_job' => 'jobTitle']],
        ]));
        $valid = self::drupalUser(7, 'leak.check', ['fields' => ['field_first_name' => 'Ada', 'field_job' => 'Engineer']]);
        $invalid = self::drupalUser(8, '@@ ??');
        $run = function (int $calls) use ($native, $valid, $invalid): array {
            $ok = 0;
            $errors = 0;
            for ($i = 0; $i < $calls; $i++) {
                if ($i % 10 === 9) {
                    try {
                        $native->mapUser($invalid);
                    } catch (ValidationException $e) {
                        $errors++;
                    }
                } else {
                    $mapped = $native->mapUser($valid);
                    $ok += $mapped['givenName'] === 'Ada' ? 1 : 0;
                }
            }

            return [$ok, $errors];
        };

        $run(self::WARM_UP);
        gc_collect_cycles();
        $rssBefore = self::rssKib();
        $phpBefore = memory_get_usage();
        $start = hrtime(true);
        [$ok, $errors] = $run(self::CALLS);
        $seconds = (hrtime(true) - $start) / 1e9;
        gc_collect_cycles();
        $rssGrowth = self::rssKib() - $rssBefore;
        $phpGrowth = memory_get_usage() - $phpBefore;

        $this->assertSame(self::CALLS * 9 / 10, $ok, 'every valid user was mapped');
        $this->assertSame(self::CALLS / 10, $errors, 'every invalid user raised a validation error');
        $message = sprintf(
            '%d calls (%d OK, %d validation errors) in %.1f s: RSS grew by %d KiB (bound %d KiB, %.1f bytes/call), PHP heap by %d bytes',
            self::CALLS,
            $ok,
            $errors,
            $seconds,
            $rssGrowth,
            self::MAX_RSS_GROWTH_KIB,
            $rssGrowth * 1024 / self::CALLS,
            $phpGrowth
        );
        $this->assertLessThanOrEqual(self::MAX_RSS_GROWTH_KIB, $rssGrowth, $message);
        $this->assertLessThan(256 * 1024, $phpGrowth, $message);
    }

    private static function rssKib(): int
    {
        $status = (string) file_get_contents('/proc/self/status');
        if (preg_match('/^VmRSS:\s+(\d+)\s+kB/m', $status, $m) !== 1) {
            self::markTestSkipped('/proc/self/status has no VmRSS (not Linux?).');
        }

        return (int) $m[1];
    }
}
