<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Native;

use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * The operations end to end, against the Graph emulator.
 */
final class ProvisioningTest extends NativeTestCase
{
    public function testConnectionReturnsTheSeededUsersAttributes(): void
    {
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

    public function testProvisionCreatesThenLinks(): void
    {
        $emulator = $this->startEmulator();
        $native = $this->native($emulator->clientConfig());
        $user = self::drupalUser(10, 'jdoe', ['mail' => 'j@example.com']);

        $first = $native->provisionUser($user);
        $this->assertSame('created', $first['action']);
        $this->assertSame('jdoe@contoso.onmicrosoft.com', $first['userPrincipalName']);
        $this->assertNotEmpty($first['id']);

        $second = $native->provisionUser($user);
        $this->assertSame('linked', $second['action'], 'a second provision of the same UPN links, it does not fail');
        $this->assertSame($first['id'], $second['id']);

        $matching = array_filter(self::emulatorUsers($emulator), static function (array $u): bool {
            return strcasecmp((string) ($u['userPrincipalName'] ?? ''), 'jdoe@contoso.onmicrosoft.com') === 0;
        });
        $this->assertCount(1, $matching, 'the emulator holds exactly one jdoe');
    }

    public function testTheSeededUserIsLinked(): void
    {
        $emulator = $this->startEmulator();
        $native = $this->native($emulator->clientConfig());
        $result = $native->provisionUser(self::drupalUser(11, 'adele', ['mail' => 'adele@contoso.com']));
        $this->assertSame('linked', $result['action']);
        $this->assertSame('adele@contoso.onmicrosoft.com', $result['userPrincipalName']);
    }

    public function testQuoteAndUnicodeNames(): void
    {
        $emulator = $this->startEmulator();
        $native = $this->native($emulator->clientConfig());

        $quoted = $native->provisionUser(self::drupalUser(12, "o'brien", ['mail' => 'obrien@example.com']));
        $this->assertSame('created', $quoted['action']);
        $this->assertSame("o'brien@contoso.onmicrosoft.com", $quoted['userPrincipalName']);
        // Found again through $filter (the quote must be doubled and encoded).
        $found = $native->findUser(['upn' => "o'brien@contoso.onmicrosoft.com"]);
        $this->assertTrue($found['found']);
        $this->assertSame($quoted['id'], $found['user']['id']);
        $this->assertSame('linked', $native->provisionUser(self::drupalUser(12, "o'brien", ['mail' => 'obrien@example.com']))['action']);

        $unicode = $native->provisionUser(self::drupalUser(13, 'Zoë Ærøskøbing', ['mail' => 'zoe@example.com']));
        $this->assertSame('created', $unicode['action']);
        $found = $native->findUser(['id' => $unicode['id']]);
        $this->assertTrue($found['found']);
        $this->assertSame('Zoë Ærøskøbing', $found['user']['displayName']);
        $this->assertMatchesRegularExpression("/^[A-Za-z0-9'.\\-_!#^~]+@contoso\\.onmicrosoft\\.com$/", $found['user']['userPrincipalName']);
    }

    public function testFindUpdateDisableDelete(): void
    {
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

    public function testOneClientServesManyCallsAndCachesTheToken(): void
    {
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
    public static function requestLog(EmulatorProcess $emulator): array
    {
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
