<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\ValidationException;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * entra_bulk_provision through the binding, against the emulator.
 */
final class BulkProvisionTest extends NativeTestCase {

  public function testFiftyUsersWithOneInvalid(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig(['max_concurrency' => 4]));
    $users = [];
    // uids deliberately not sorted, so "input order" cannot be confused with uid order.
    for ($i = 0; $i < 50; $i++) {
      $uid = 1000 + (($i * 37) % 50);
      $users[] = self::drupalUser($uid, sprintf('bulk.user.%02d', $i));
    }
    $invalid = 23;
    $users[$invalid] = self::drupalUser($users[$invalid]['uid'], 'bulk.invalid', ['mail' => 'no at sign']);

    $result = $native->bulkProvision($users);

    $this->assertSame(49, $result['summary']['created']);
    $this->assertSame(0, $result['summary']['linked']);
    $this->assertSame(1, $result['summary']['failed']);
    $this->assertCount(50, $result['results']);
    foreach ($result['results'] as $i => $entry) {
      $this->assertSame($users[$i]['uid'], $entry['uid'], "result $i is in input order");
      if ($i === $invalid) {
        $this->assertFalse($entry['ok']);
        $this->assertSame('validation', $entry['error']['kind']);
        $this->assertSame('mail', $entry['error']['field']);
        $this->assertInstanceOf(ValidationException::class, EntraException::fromErrorArray($entry['error'], 'entra_bulk_provision'));
      }
      else {
        $this->assertTrue($entry['ok'], json_encode($entry) ?: '');
        $this->assertSame('created', $entry['action']);
        $this->assertSame(sprintf('bulk.user.%02d@contoso.onmicrosoft.com', $i), $entry['userPrincipalName']);
        $this->assertNotEmpty($entry['id']);
      }
    }
    $upns = array_map(static function (array $u): string {
      return strtolower((string) ($u['userPrincipalName'] ?? ''));
    }, self::emulatorUsers($emulator));
    $this->assertCount(49, preg_grep('/^bulk\.user\.\d\d@/', $upns) ?: []);

    // Again: all 49 exist now. Nothing is duplicated, nothing is linked
    // silently: each is a conflict naming the account the first run made.
    $again = $native->bulkProvision($users);
    $this->assertSame(0, $again['summary']['linked']);
    $this->assertSame(0, $again['summary']['created']);
    $this->assertSame(50, $again['summary']['failed']);
    foreach ($again['results'] as $i => $entry) {
      if ($i !== $invalid) {
        $this->assertSame('conflict', $entry['error']['kind']);
        $this->assertSame($result['results'][$i]['id'], EntraException::fromErrorArray($entry['error'])->existing()['id']);
      }
    }
  }

  public function testEmptyListIsAnEmptyResult(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig());
    $result = $native->bulkProvision([]);
    $this->assertSame([], $result['results']);
    $this->assertSame(0, $result['summary']['created']);
  }

}
