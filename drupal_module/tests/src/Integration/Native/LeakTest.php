<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\Exception\ValidationException;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Leak checks: many calls from PHP through the binding, and the process's
 * resident memory stays put.
 *
 * Every call allocates a string in Rust that the binding copies and hands
 * back to entra_string_free, on the success path and on the error path (error
 * JSON, typed exception); every EntraNative owns one EntraClient that close()
 * hands back to entra_client_free. Each test states how much a lost string
 * or handle per call would add, against a bound with room for the
 * allocators' own growth.
 */
final class LeakTest extends NativeTestCase {

  private const CALLS = 100000;

  private const WARM_UP = 2000;

  private const MAX_RSS_GROWTH_KIB = 4096;

  private const CLIENT_CYCLES = 10000;

  private const BULK_CALLS = 300;

  private const BULK_USERS = 20;

  private const BULK_MAX_RSS_GROWTH_KIB = 512;

  public function testOneHundredThousandCallsDoNotGrowResidentMemory(): void {
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
          }
          catch (ValidationException $e) {
            $errors++;
          }
        }
        else {
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
    $start = hrtime(TRUE);
    [$ok, $errors] = $run(self::CALLS);
    $seconds = (hrtime(TRUE) - $start) / 1e9;
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

  /**
   * entra_client_new/entra_client_free cycles, half of them used for a call.
   *
   * A client handle holds its configuration, endpoints, token cache key and
   * counters: with entra_client_free left out, RSS grew by about 1.9 KiB
   * per cycle here, 18 MiB over the run, against the bound of 4 MiB.
   */
  public function testClientNewAndFreeCyclesDoNotGrowResidentMemory(): void {
    $config = self::offlineConfig();
    $library = $this->libraryPath();
    $header = $this->headerPath();
    $user = self::drupalUser(9, 'cycle.check');
    $run = function (int $cycles) use ($config, $library, $header, $user): int {
      $mapped = 0;
      for ($i = 0; $i < $cycles; $i++) {
        $native = new EntraNative($config, $library, $header);
        $native->connect();
        if ($i % 2 === 0) {
          $mapped += $native->mapUser($user)['userPrincipalName'] === 'cycle.check@contoso.onmicrosoft.com' ? 1 : 0;
        }
        $native->close();
      }

      return $mapped;
    };

    $run(self::WARM_UP);
    gc_collect_cycles();
    $rssBefore = self::rssKib();
    $mapped = $run(self::CLIENT_CYCLES);
    gc_collect_cycles();
    $rssGrowth = self::rssKib() - $rssBefore;

    $this->assertSame(self::CLIENT_CYCLES / 2, $mapped, 'every other client mapped a user');
    $this->assertLessThanOrEqual(self::MAX_RSS_GROWTH_KIB, $rssGrowth, sprintf(
      '%d client cycles: RSS grew by %d KiB (bound %d KiB, %.1f bytes/cycle)',
      self::CLIENT_CYCLES,
      $rssGrowth,
      self::MAX_RSS_GROWTH_KIB,
      $rssGrowth * 1024 / self::CLIENT_CYCLES
    ));
  }

  /**
   * entra_bulk_provision against the emulator: a result string of about
   * 4.5 KiB per call (20 users), one HTTP $batch each. Losing the result
   * string of every call would add its size, over 1.3 MiB in all (asserted
   * below), against a bound of BULK_MAX_RSS_GROWTH_KIB; the transport's
   * pools are warmed up first. The emulator does not throttle, so every
   * call creates all its users.
   */
  public function testBulkCallsDoNotGrowResidentMemory(): void {
    $emulator = $this->startEmulator(['--no-throttle', '--request-log-max', '0'], FALSE);
    $native = $this->native($emulator->clientConfig(['max_concurrency' => 1, 'write_budget' => NULL]));
    $next = 1;
    $run = function (int $calls) use ($native, &$next): array {
      $created = 0;
      $bytes = 0;
      for ($i = 0; $i < $calls; $i++) {
        $users = [];
        for ($j = 0; $j < self::BULK_USERS; $j++, $next++) {
          $users[] = self::drupalUser(100000 + $next, sprintf('bulk.leak.%06d', $next));
        }
        $result = $native->bulkProvision($users);
        $created += (int) $result['summary']['created'];
        $bytes += strlen(json_encode($result, JSON_THROW_ON_ERROR));
      }

      return [$created, $bytes];
    };

    $run(30);
    gc_collect_cycles();
    $rssBefore = self::rssKib();
    [$created, $bytes] = $run(self::BULK_CALLS);
    gc_collect_cycles();
    $rssGrowth = self::rssKib() - $rssBefore;

    $this->assertSame(self::BULK_CALLS * self::BULK_USERS, $created, 'every user of every bulk call was created');
    $this->assertGreaterThan(2 * self::BULK_MAX_RSS_GROWTH_KIB * 1024, $bytes, 'a leak of the result strings would exceed the bound twice over');
    $this->assertLessThanOrEqual(self::BULK_MAX_RSS_GROWTH_KIB, $rssGrowth, sprintf(
      '%d bulk calls of %d users (%d KiB of results): RSS grew by %d KiB (bound %d KiB)',
      self::BULK_CALLS,
      self::BULK_USERS,
      intdiv($bytes, 1024),
      $rssGrowth,
      self::BULK_MAX_RSS_GROWTH_KIB
    ));
  }

  private static function rssKib(): int {
    $status = (string) file_get_contents('/proc/self/status');
    if (preg_match('/^VmRSS:\s+(\d+)\s+kB/m', $status, $m) !== 1) {
      self::markTestSkipped('/proc/self/status has no VmRSS (not Linux?).');
    }

    return (int) $m[1];
  }

}
