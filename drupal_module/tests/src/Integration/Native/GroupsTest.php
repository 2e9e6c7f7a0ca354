<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\Exception\ValidationException;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Groups ↔ roles (issue 13) through the binding, against the emulator:
 * entra_groups, entra_group_membership, the groups part of
 * entra_import_delta and the group questions of entra_decide.
 *
 * Objects are compared with assertEquals: the order of the keys of the
 * library's JSON objects is not part of its contract.
 */
final class GroupsTest extends NativeTestCase {

  private const PARENT = '10000000-0000-4000-8000-000000000001';
  private const CHILD = '10000000-0000-4000-8000-000000000002';
  private const TARGET = '10000000-0000-4000-8000-000000000003';
  private const DYNAMIC = '10000000-0000-4000-8000-000000000004';
  private const ROLE_ASSIGNABLE = '10000000-0000-4000-8000-000000000005';

  private const ANN = 'ann@contoso.onmicrosoft.com';
  private const CARL = 'carl@contoso.onmicrosoft.com';

  /**
   * Ann is in Child, nested in Parent; Carl is in no group.
   */
  private function tenant(string $permissions = 'User.ReadWrite.All,GroupMember.ReadWrite.All'): EmulatorProcess {
    return $this->startEmulator([
      '--permissions', $permissions,
      '--seed-user', self::ANN . '|Ann|',
      '--seed-user', self::CARL . '|Carl|',
      '--seed-group', self::CHILD . '|Paris engineers|security|' . self::ANN,
      '--seed-group', self::PARENT . '|Engineering|security|' . self::CHILD,
      '--seed-group', self::TARGET . '|Drupal staff|security|',
      '--seed-group', self::DYNAMIC . '|Dynamic sales|dynamic|',
      '--seed-group', self::ROLE_ASSIGNABLE . '|Helpdesk admins|role-assignable|',
    ]);
  }

  public function testTheGroupPickerShowsRefusedGroupsWithTheirReason(): void {
    $native = $this->native($this->tenant()->clientConfig());
    $found = $native->groups(['op' => 'search', 'query' => 'helpdesk']);
    $this->assertCount(1, $found['groups']);
    $this->assertSame('Helpdesk admins', $found['groups'][0]['displayName']);
    $this->assertFalse($found['groups'][0]['target']['allowed']);
    $this->assertSame('role_assignable', $found['groups'][0]['target']['reason']);

    $got = $native->groups(['op' => 'get', 'ids' => [self::TARGET, self::DYNAMIC]]);
    $reasons = array_column(array_column($got['groups'], 'target'), 'reason');
    $this->assertSame([NULL, 'dynamic'], $reasons);
    $this->assertSame([], $got['missing']);

    $check = $native->decide([
      'decide' => 'group_rules_check',
      'provision_rules' => [['role' => 'staff', 'group_id' => self::DYNAMIC]],
      'role_facts' => ['staff' => ['is_admin' => FALSE, 'restricted' => FALSE]],
      'groups' => [self::DYNAMIC => $got['groups'][1]],
    ]);
    $this->assertFalse($check['ok']);
    $this->assertSame('dynamic', $check['errors'][0]['reason']);
  }

  public function testMembershipWritesAreIdempotentAndRefusedGroupsGetNoRequest(): void {
    $emulator = $this->tenant();
    $native = $this->native($emulator->clientConfig());
    $ann = $native->findUser(['upn' => self::ANN])['user']['id'];

    $this->assertSame('added', $native->groupMembership('add', self::TARGET, $ann)['action']);
    $this->assertSame('already_member', $native->groupMembership('add', self::TARGET, $ann)['action']);
    $this->assertSame('removed', $native->groupMembership('remove', self::TARGET, $ann)['action']);
    $this->assertSame('not_member', $native->groupMembership('remove', self::TARGET, $ann)['action']);

    $emulator->call('DELETE', '/_emulator/requests');
    foreach ([self::DYNAMIC => 'dynamic', self::ROLE_ASSIGNABLE => 'role_assignable'] as $group => $reason) {
      $out = $native->groupMembership('add', $group, $ann);
      $this->assertSame(['refused', $reason], [$out['action'], $out['reason']]);
    }
    $writes = array_filter($emulator->requests(), static fn (array $e): bool => $e['method'] !== 'GET' && str_contains((string) $e['path'], '/members'));
    $this->assertSame([], array_values($writes), 'nothing was sent to a refused group');
  }

  public function testANestedMembershipChangeReachesTheImportThroughTheGroupsDelta(): void {
    $emulator = $this->tenant();
    $native = $this->native($emulator->clientConfig());
    $ann = $native->findUser(['upn' => self::ANN])['user']['id'];
    $carl = $native->findUser(['upn' => self::CARL])['user']['id'];

    $page = $native->importDelta(['groups' => ['ids' => [self::PARENT]]]);
    $memberOf = [];
    foreach ($page['changes'] as $change) {
      $memberOf[$change['id']] = $change['member_of'];
    }
    $this->assertSame([self::PARENT], $memberOf[$ann], 'nested membership counts');
    $this->assertSame([], $memberOf[$carl]);
    $this->assertSame([self::PARENT, self::CHILD], $page['groups']['tracked_group_ids']);
    $this->assertTrue($page['groups']['complete_state']);
    $this->assertEquals([['id' => $ann, 'member_of' => [self::PARENT]]], $page['groups']['changes'], 'the first round lists every member; Carl is in none');
    $usersLink = $page['delta_link'];
    $groupsLink = $page['groups']['delta_link'];
    $this->assertIsString($usersLink);
    $this->assertIsString($groupsLink);

    $rules = [['group_id' => self::PARENT, 'role' => 'engineer', 'confirmed' => FALSE]];
    $facts = ['engineer' => ['is_admin' => FALSE, 'restricted' => FALSE]];
    $grant = $native->decide(['decide' => 'role_changes', 'rules' => $rules, 'strict' => TRUE, 'account' => ['uid' => 7, 'roles' => ['authenticated']], 'member_of' => $memberOf[$ann], 'role_facts' => $facts]);
    $this->assertEquals([['role' => 'engineer', 'group_id' => self::PARENT]], $grant['grant']);

    // Carl joins the nested group in Entra; the users delta has nothing, the
    // groups delta names him.
    $emulator->call('POST', '/_emulator/groups/' . self::CHILD . '/members', ['member' => $carl]);
    $next = $native->importDelta(['link' => $usersLink, 'groups' => ['ids' => [self::PARENT], 'link' => $groupsLink]]);
    $this->assertSame([], $next['changes']);
    $this->assertEquals([['id' => $carl, 'member_of' => [self::PARENT]]], $next['groups']['changes']);
    $this->assertFalse($next['groups']['resync_required']);
    $this->assertFalse($next['groups']['complete_state']);

    // Strict mode revokes once he leaves again.
    $emulator->call('DELETE', '/_emulator/groups/' . self::CHILD . '/members/' . $carl);
    $last = $native->importDelta(['link' => $next['delta_link'], 'groups' => ['ids' => [self::PARENT], 'link' => $next['groups']['delta_link']]]);
    $this->assertEquals([['id' => $carl, 'member_of' => []]], $last['groups']['changes']);
    $revoke = $native->decide(['decide' => 'role_changes', 'rules' => $rules, 'strict' => TRUE, 'account' => ['uid' => 8, 'roles' => ['authenticated', 'engineer']], 'member_of' => [], 'role_facts' => $facts]);
    $this->assertEquals([['role' => 'engineer', 'group_ids' => [self::PARENT]]], $revoke['revoke']);
  }

  public function testTheConnectionTestNamesTheMissingGroupPermission(): void {
    $native = $this->native($this->tenant('User.Read.All')->clientConfig());
    $out = $native->testConnection(self::ANN, ['entra_to_drupal'], ['read_group_memberships']);
    $this->assertSame(['GroupMember.Read.All'], $out['missing_permissions']);
    $this->expectException(ValidationException::class);
    $native->testConnection(self::ANN, [], ['read_minds']);
  }

}
