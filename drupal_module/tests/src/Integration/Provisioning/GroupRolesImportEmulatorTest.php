<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\ImportReport;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Entra ID groups -> Drupal roles and the import scope, through the
 * Importer with the REAL library and emulator: nested groups grant, strict
 * mode revokes, unmapped roles and uid 1 stay, an unconfirmed admin rule
 * grants nothing, a membership change arrives by the groups delta, and
 * leaving the scope is a removal under the policy.
 */
final class GroupRolesImportEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private const PARENT = '20000000-0000-4000-8000-000000000001';
  private const CHILD = '20000000-0000-4000-8000-000000000002';
  private const ADMINS = '20000000-0000-4000-8000-000000000003';
  private const SCOPE = '20000000-0000-4000-8000-000000000004';

  private const ANN = 'ann@contoso.onmicrosoft.com';
  private const CARL = 'carl@contoso.onmicrosoft.com';
  private const ROOT = 'root@contoso.onmicrosoft.com';

  private function tenant(): EmulatorProcess {
    return $this->startEmulator([
      '--permissions', 'User.ReadWrite.All,GroupMember.Read.All',
      '--seed-user', self::ANN . '|Ann|ann@contoso.com',
      '--seed-user', self::CARL . '|Carl|carl@contoso.com',
      '--seed-user', self::ROOT . '|Root|root@contoso.com',
      '--seed-group', self::CHILD . '|Paris engineers|security|' . self::ANN . ';' . self::ROOT,
      '--seed-group', self::PARENT . '|Engineering|security|' . self::CHILD,
      '--seed-group', self::ADMINS . '|IT admins|security|' . self::ANN,
      '--seed-group', self::SCOPE . '|Drupal users|security|' . self::ANN . ';' . self::ROOT,
    ], FALSE);
  }

  /**
   * @param array<string, mixed> $groups
   */
  private function wireGroups(EmulatorProcess $emulator, array $groups): void {
    $this->wire($emulator, [
      'direction' => ['drupal_to_entra' => FALSE, 'entra_to_drupal' => TRUE],
      'groups' => $groups + ['import_rules' => [
        ['group_id' => self::PARENT, 'group_name' => 'Engineering', 'role' => 'editor', 'confirmed' => FALSE],
        ['group_id' => self::ADMINS, 'group_name' => 'IT admins', 'role' => 'administrator', 'confirmed' => FALSE],
      ]],
    ]);
  }

  /**
   * @return array<string, string>
   */
  private static function ids(EmulatorProcess $emulator): array {
    $ids = [];
    foreach (self::emulatorUsers($emulator) as $user) {
      $ids[strtolower((string) $user['userPrincipalName'])] = (string) $user['id'];
    }

    return $ids;
  }

  private function uidOf(string $entraId): int {
    $link = $this->links->loadByEntraId($entraId);
    $this->assertNotNull($link, 'linked: ' . $entraId);

    return $link->uid;
  }

  /**
   * @return list<string>
   */
  private function roles(int $uid): array {
    $roles = $this->accounts->load($uid)['roles'] ?? [];
    sort($roles);

    return $roles;
  }

  public function testNestedGroupsGrantStrictRevokesThroughTheGroupsDeltaAndUid1StaysUntouched(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['strict' => TRUE]);
    $ids = self::ids($emulator);
    // uid 1 is linked to Root, a member of the mapped group.
    $this->accounts->add(1, 'admin', 'root@contoso.com');
    $this->links->save(LinkRecord::succeeded(NULL, 1, 'imported', $ids[self::ROOT], self::ROOT, NULL, time(), LinkRecord::PROVENANCE_CREATED));

    $report = $this->importer->run();
    $this->assertNull($report->error, json_encode($report->error) ?: '');
    $this->assertTrue($report->completed);
    $ann = $this->uidOf($ids[self::ANN]);
    $carl = $this->uidOf($ids[self::CARL]);
    $this->assertSame(['authenticated', 'editor'], $this->roles($ann), 'Ann is in Engineering through Paris engineers; the unconfirmed administrator rule grants nothing');
    $this->assertSame(['authenticated'], $this->roles($carl));
    $this->assertSame(['authenticated'], $this->roles(1), 'uid 1 is never changed');
    $this->assertStringContainsString('granted the role %role to uid @uid', $this->logDump());
    $this->assertStringContainsString('Engineering (' . self::PARENT . ')', $this->logDump(), 'the grant names its group');
    $this->assertStringContainsString('confirmation', $this->logDump(), 'the refused rule is logged');
    $this->assertSame([['op' => 'grant', 'uid' => $ann, 'id' => $ids[self::ANN], 'role' => 'editor', 'groups' => [self::PARENT]]], $report->roleChanges);

    // An admin gives Ann a role no rule maps; in Entra, Ann leaves the
    // nested group and Carl joins it. The users delta has nothing new.
    $this->accounts->changeRoles($ann, ['reviewer'], []);
    $emulator->call('DELETE', '/_emulator/groups/' . self::CHILD . '/members/' . $ids[self::ANN]);
    $emulator->call('POST', '/_emulator/groups/' . self::CHILD . '/members', ['member' => $ids[self::CARL]]);
    $emulator->call('DELETE', '/_emulator/requests');

    $next = $this->importer->run();
    $this->assertNull($next->error, json_encode($next->error) ?: '');
    $this->assertSame(0, $next->counts[ImportReport::CREATED] + $next->counts[ImportReport::UPDATED], 'no user change in the users delta');
    $this->assertSame(['authenticated', 'reviewer'], $this->roles($ann), 'strict: editor revoked, the unmapped role survives');
    $this->assertSame(['authenticated', 'editor'], $this->roles($carl), 'the membership change arrived through the groups delta');
    $this->assertSame(['authenticated'], $this->roles(1));
    $this->assertStringContainsString('revoked the role %role from uid @uid', $this->logDump());
    $groupReads = array_filter($this->graphCalls($emulator), static fn (string $l): bool => str_contains($l, '/groups'));
    $this->assertNotEmpty($groupReads);
    foreach ($groupReads as $line) {
      $this->assertStringNotContainsString('/members ', $line, 'no full member listing: ' . $line);
    }
  }

  public function testWithoutStrictModeAMappedRoleStaysWhenTheMembershipEnds(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['strict' => FALSE]);
    $ids = self::ids($emulator);
    $this->importer->run();
    $ann = $this->uidOf($ids[self::ANN]);
    $this->assertSame(['authenticated', 'editor'], $this->roles($ann));

    $emulator->call('DELETE', '/_emulator/groups/' . self::CHILD . '/members/' . $ids[self::ANN]);
    $report = $this->importer->run();
    $this->assertNull($report->error, json_encode($report->error) ?: '');
    $this->assertSame(['authenticated', 'editor'], $this->roles($ann));
    $this->assertSame([], $report->roleChanges);
  }

  public function testTheImportScopeKeepsOutsidersOutAndBlocksWhoLeavesIt(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['import_scope' => [self::SCOPE]]);
    $ids = self::ids($emulator);

    $report = $this->importer->run();
    $this->assertNull($report->error, json_encode($report->error) ?: '');
    $ann = $this->uidOf($ids[self::ANN]);
    $this->assertNull($this->links->loadByEntraId($ids[self::CARL]), 'Carl is not in the scope group: not imported');
    $this->assertSame([], $this->accounts->findByName('Carl'));

    // Ann leaves the scope group: treated as a removal (policy block).
    $emulator->call('DELETE', '/_emulator/groups/' . self::SCOPE . '/members/' . $ids[self::ANN]);
    $next = $this->importer->run();
    $this->assertNull($next->error, json_encode($next->error) ?: '');
    $this->assertSame([['uid' => $ann, 'id' => $ids[self::ANN], 'upn' => self::ANN, 'reason' => 'out_of_scope']], $next->removals);
    $this->assertSame(1, $next->counts[ImportReport::BLOCKED]);
    $this->assertSame(0, $this->accounts->accounts[$ann]['status']);
    $this->assertNotNull($this->accounts->accounts[$ann] ?? NULL, 'out of scope blocks, never deletes');
  }

}
