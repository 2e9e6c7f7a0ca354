<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * entra_import_delta (Entra → Drupal) through the binding, against the emulator.
 */
final class ImportDeltaTest extends NativeTestCase {

  public function testFullSyncThenIncrementalChanges(): void {
    $emulator = $this->startEmulator(['--seed-user', 'megan@contoso.onmicrosoft.com|Megan Bowen|megan@contoso.com']);
    $native = $this->native($emulator->clientConfig());

    // Full sync: follow next_link until a delta_link arrives.
    $changes = [];
    $request = [];
    for ($calls = 0; $calls < 20; $calls++) {
      $page = $native->importDelta($request);
      $this->assertFalse($page['resync_required']);
      $changes = array_merge($changes, $page['changes']);
      if ($page['delta_link'] !== NULL) {
        break;
      }
      $this->assertIsString($page['next_link']);
      $request = ['link' => $page['next_link']];
    }
    $deltaLink = $page['delta_link'];
    $this->assertIsString($deltaLink);
    $byUpn = [];
    foreach ($changes as $change) {
      $this->assertSame('upsert', $change['op']);
      $byUpn[strtolower((string) $change['userPrincipalName'])] = $change;
    }
    $this->assertArrayHasKey('adele@contoso.onmicrosoft.com', $byUpn);
    $this->assertArrayHasKey('megan@contoso.onmicrosoft.com', $byUpn);
    $this->assertSame('adele@contoso.com', $byUpn['adele@contoso.onmicrosoft.com']['drupal']['mail']);

    // Changes since: one created, one deleted.
    $created = $native->provisionUser(self::drupalUser(50, 'delta.new'));
    $native->deleteUser($byUpn['megan@contoso.onmicrosoft.com']['id']);
    $page = $native->importDelta(['link' => $deltaLink]);
    $ops = [];
    foreach ($page['changes'] as $change) {
      $ops[$change['id']] = $change['op'];
    }
    $this->assertSame('upsert', $ops[$created['id']] ?? NULL);
    $this->assertSame('removed', $ops[$byUpn['megan@contoso.onmicrosoft.com']['id']] ?? NULL);
    $this->assertArrayNotHasKey($byUpn['adele@contoso.onmicrosoft.com']['id'], $ops, 'unchanged users are not repeated');
    $this->assertIsString($page['delta_link']);
  }

  public function testAnExpiredLinkAsksForAResync(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig());
    $page = $native->importDelta(['start_from_now' => TRUE]);
    $this->assertIsString($page['delta_link']);
    $this->assertSame([], $page['changes']);
    // A token the emulator never issued behaves like an expired one.
    $bogus = preg_replace('/(deltatoken=)[^&]+/', '$1expired0000', $page['delta_link']);
    $this->assertNotSame($page['delta_link'], $bogus);
    $page = $native->importDelta(['link' => $bogus]);
    $this->assertTrue($page['resync_required']);
  }

}
