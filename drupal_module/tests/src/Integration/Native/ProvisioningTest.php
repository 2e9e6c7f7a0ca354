<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\Exception\ConflictException;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * The operations end to end, against the Graph emulator.
 */
final class ProvisioningTest extends NativeTestCase {

  public function testConnectionReturnsTheSeededUsersAttributes(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig());
    $result = $native->testConnection('adele@contoso.onmicrosoft.com');
    $this->assertSame('adele@contoso.onmicrosoft.com', $result['attributes']['userPrincipalName']);
    $this->assertSame('Adele Vance', $result['attributes']['displayName']);
    $this->assertSame('adele@contoso.com', $result['attributes']['mail']);
    $this->assertNotEmpty($result['attributes']['id']);
    $this->assertIsString($result['request_id']);
    $this->assertNotSame('', $result['request_id']);
  }

  /**
   * The conflict of a create, as the binding exposes it.
   *
   * @param array<string, mixed> $user
   */
  private static function conflictOf(\Drupal\entra_provisioning\Native\NativeClientInterface $native, array $user): ConflictException {
    try {
      $native->provisionUser($user);
    }
    catch (ConflictException $e) {
      return $e;
    }
    self::fail('The create of an existing UPN must be a conflict.');
  }

  public function testProvisionCreatesThenReportsTheExistingAccount(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig());
    $user = self::drupalUser(10, 'jdoe', ['mail' => 'j@example.com']);

    $first = $native->provisionUser($user);
    $this->assertSame('created', $first['action']);
    $this->assertSame('jdoe@contoso.onmicrosoft.com', $first['userPrincipalName']);
    $this->assertNotEmpty($first['id']);

    // A second create of the same UPN never links silently: the conflict
    // names the account, and the host decides.
    $existing = self::conflictOf($native, $user)->existing();
    $this->assertNotNull($existing);
    $this->assertSame($first['id'], $existing['id']);
    $this->assertSame('userPrincipalName', $existing['matched_on']);
    $this->assertFalse($existing['privileged']);

    $matching = array_filter(self::emulatorUsers($emulator), static function (array $u): bool {
      return strcasecmp((string) ($u['userPrincipalName'] ?? ''), 'jdoe@contoso.onmicrosoft.com') === 0;
    });
    $this->assertCount(1, $matching, 'the emulator holds exactly one jdoe');
  }

  public function testTheSeededUserIsNamedAndLinkedOnlyThroughLinkUser(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig());
    $user = self::drupalUser(11, 'adele', ['mail' => 'adele@contoso.com', 'status' => 0]);
    $existing = self::conflictOf($native, $user)->existing();
    $this->assertSame('Adele Vance', $existing['displayName']);
    $decision = $native->decide(['decide' => 'entra_candidate', 'account' => ['uid' => 11, 'roles' => ['authenticated'], 'status' => 0], 'candidate' => $existing, 'candidate_linked_uid' => NULL]);
    $this->assertSame('review', $decision['outcome'], 'the default policy asks an admin');
    $linked = $native->linkUser($existing['id'], $user);
    $this->assertSame('linked', $linked['action']);
    $this->assertSame('adele@contoso.onmicrosoft.com', $linked['userPrincipalName']);
    $this->assertSame(['displayName'], $linked['updated_properties'], 'never mail or accountEnabled');
  }

  public function testQuoteAndUnicodeNames(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig());

    $quoted = $native->provisionUser(self::drupalUser(12, "o'brien", ['mail' => 'obrien@example.com']));
    $this->assertSame('created', $quoted['action']);
    $this->assertSame("o'brien@contoso.onmicrosoft.com", $quoted['userPrincipalName']);
    // Found again through $filter (the quote must be doubled and encoded).
    $found = $native->findUser(['upn' => "o'brien@contoso.onmicrosoft.com"]);
    $this->assertTrue($found['found']);
    $this->assertSame($quoted['id'], $found['user']['id']);
    $this->assertSame($quoted['id'], self::conflictOf($native, self::drupalUser(12, "o'brien", ['mail' => 'obrien@example.com']))->existing()['id']);

    $unicode = $native->provisionUser(self::drupalUser(13, 'Zoë Ærøskøbing', ['mail' => 'zoe@example.com']));
    $this->assertSame('created', $unicode['action']);
    $found = $native->findUser(['id' => $unicode['id']]);
    $this->assertTrue($found['found']);
    $this->assertSame('Zoë Ærøskøbing', $found['user']['displayName']);
    $this->assertMatchesRegularExpression("/^[A-Za-z0-9'.\\-_!#^~]+@contoso\\.onmicrosoft\\.com$/", $found['user']['userPrincipalName']);
  }

  public function testFindUpdateDisableDelete(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig([
      'mapping' => ['properties' => ['field_first_name' => 'givenName', 'field_dept' => 'department']],
    ]));
    $user = self::drupalUser(20, 'lifecycle', ['fields' => ['field_first_name' => 'Lee', 'field_dept' => 'Sales']]);
    $created = $native->provisionUser($user);
    $id = $created['id'];

    $this->assertFalse($native->findUser(['upn' => 'nobody@contoso.onmicrosoft.com'])['found']);
    $this->assertNull($native->findUser(['upn' => 'nobody@contoso.onmicrosoft.com'])['user']);
    $byMail = $native->findUser(['mail' => 'lifecycle@example.com']);
    $this->assertTrue($byMail['found']);
    $this->assertSame($id, $byMail['user']['id']);

    $user['fields']['field_dept'] = 'Marketing';
    $updated = $native->updateUser($id, $user);
    $this->assertSame('updated', $updated['action']);
    $this->assertSame($id, $updated['id']);
    $this->assertSame(['department'], $updated['updated_properties']);
    $this->assertSame('Marketing', $native->findUser(['id' => $id])['user']['department']);

    $this->assertSame('unchanged', $native->updateUser($id, $user)['action']);

    $disabled = $native->disableUser($id);
    $this->assertSame('disabled', $disabled['action']);
    $this->assertFalse($native->findUser(['id' => $id])['user']['accountEnabled']);

    $this->assertSame('deleted', $native->deleteUser($id)['action']);
    $this->assertSame('already_deleted', $native->deleteUser($id)['action']);
    $this->assertFalse($native->findUser(['id' => $id])['found']);
  }

  public function testOneClientServesManyCallsAndCachesTheToken(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig());
    for ($i = 0; $i < 5; $i++) {
      $native->findUser(['upn' => 'adele@contoso.onmicrosoft.com']);
    }
    $tokenRequests = array_filter(self::requestLog($emulator), static function (array $r): bool {
      return str_contains((string) ($r['path'] ?? ''), '/oauth2/');
    });
    $this->assertCount(1, $tokenRequests, 'one token for five calls');
    $stats = $native->clientStats();
    $this->assertSame(1, $stats['token_requests']);
    $this->assertSame(5, $stats['graph_requests']);
  }

  /**
   * The emulator's request log as a list of entries.
   *
   * @return list<array<string, mixed>>
   */
  public static function requestLog(EmulatorProcess $emulator): array {
    $log = $emulator->requests();
    foreach (['requests', 'value'] as $key) {
      if (isset($log[$key]) && is_array($log[$key])) {
        $log = $log[$key];
        break;
      }
    }

    return array_values($log);
  }

}
