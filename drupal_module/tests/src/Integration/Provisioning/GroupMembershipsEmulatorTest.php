<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Drupal roles -> Entra ID groups and the provisioning scope, through
 * Lifecycle and the queue with the REAL library and emulator: a role change
 * queues the memberships in the user's order, the queue applies them
 * (a repeated add or remove succeeds), a refused group gets no write, and
 * the scope keeps accounts out or deprovisions who leaves it.
 */
final class GroupMembershipsEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private const STAFF = '30000000-0000-4000-8000-000000000001';
  private const DYNAMIC = '30000000-0000-4000-8000-000000000002';

  private function tenant(): EmulatorProcess {
    return $this->startEmulator([
      '--permissions', 'User.ReadWrite.All,GroupMember.ReadWrite.All',
      '--seed-group', self::STAFF . '|Drupal staff|security|',
      '--seed-group', self::DYNAMIC . '|Dynamic sales|dynamic|',
    ]);
  }

  /**
   * @param array<string, mixed> $groups
   * @param array<string, mixed> $config
   */
  private function wireGroups(EmulatorProcess $emulator, array $groups, array $config = []): void {
    $this->wire($emulator, array_replace_recursive([
      'provisioning' => ['auto_create' => TRUE],
      'groups' => $groups,
    ], $config));
  }

  /**
   * Saves the account with these roles, as the user hooks report it.
   *
   * @param list<string> $roles
   */
  private function saveRoles(int $uid, array $roles): bool {
    $before = $this->users->users[$uid];
    $this->users->users[$uid]['roles'] = $roles;

    return $this->lifecycle->onUpdate($uid, (string) $before['name'], $before, $this->users->users[$uid]);
  }

  /**
   * @return list<string>
   */
  private function members(string $group): array {
    return $this->clients->client()->groups(['op' => 'members', 'group_id' => $group])['user_ids'];
  }

  /**
   * Runs every queued item; returns the outcomes in order.
   *
   * @return list<Outcome>
   */
  private function drain(): array {
    $outcomes = [];
    while (($claimed = $this->queue->claim(120)) !== NULL) {
      $outcomes[] = $this->provisioner->process(QueueItem::fromArray($claimed->data));
      $this->queue->complete($claimed);
    }

    return $outcomes;
  }

  public function testARoleChangeQueuesTheMembershipsAndTheQueueAppliesThem(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['provision_rules' => [['role' => 'staff', 'group_id' => self::STAFF, 'group_name' => 'Drupal staff']]]);
    $this->users->add(40, 'gina', 'gina@example.com');
    $this->assertTrue($this->lifecycle->onInsert(40, 'gina', ['authenticated']));
    $this->assertSame([QueueItem::OP_PROVISION], array_column($this->queue->data(), 'op'), 'no mapped role: only the create');
    $this->drain();
    $entraId = (string) $this->links->load(40)->entraId;
    $this->assertNotSame('', $entraId);

    $this->assertTrue($this->saveRoles(40, ['authenticated', 'staff']));
    $items = $this->queue->data();
    $this->assertCount(1, $items);
    $this->assertSame(QueueItem::OP_MEMBERSHIPS, $items[0]['op']);
    $this->assertSame(['add' => [self::STAFF], 'remove' => []], $items[0]['groups']);
    $outcomes = $this->drain();
    $this->assertSame(Outcome::DONE, $outcomes[0]->status, $outcomes[0]->message);
    $this->assertSame([$entraId], $this->members(self::STAFF));

    // The same add again (a replayed role change): already a member.
    $this->provisioner->enqueue(QueueItem::OP_MEMBERSHIPS, 40, NULL, FALSE, NULL, ['add' => [self::STAFF]]);
    [$again] = $this->drain();
    $this->assertSame(Outcome::DONE, $again->status, $again->message);
    $this->assertSame(['already_member ' . self::STAFF], $again->result['done']);

    $this->assertTrue($this->saveRoles(40, ['authenticated']));
    $this->assertSame(['add' => [], 'remove' => [self::STAFF]], $this->queue->data()[0]['groups']);
    $this->drain();
    $this->assertSame([], $this->members(self::STAFF));
    $this->provisioner->enqueue(QueueItem::OP_MEMBERSHIPS, 40, NULL, FALSE, NULL, ['remove' => [self::STAFF]]);
    [$gone] = $this->drain();
    $this->assertSame(['not_member ' . self::STAFF], $gone->result['done']);
    $this->assertStringContainsString('in group @group', $this->logDump());
  }

  public function testANewAccountWithAMappedRoleJoinsTheGroupAfterItsCreate(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['provision_rules' => [['role' => 'staff', 'group_id' => self::STAFF]]]);
    $this->users->add(41, 'hugo', 'hugo@example.com');
    $this->users->users[41]['roles'] = ['authenticated', 'staff'];
    $preview = $this->provisioner->preview(41);
    $this->assertTrue($preview['ok'], json_encode($preview['error']) ?: '');
    $this->assertEquals([['group_id' => self::STAFF, 'role' => 'staff']], $preview['groups'], 'the preview shows the memberships');
    $this->assertTrue($this->lifecycle->onInsert(41, 'hugo', ['authenticated', 'staff']));
    $this->assertSame([QueueItem::OP_PROVISION, QueueItem::OP_MEMBERSHIPS], array_column($this->queue->data(), 'op'));
    // The queue runner drains the create as a group, then the rest in order.
    $stats = $this->runner->run(30.0);
    $this->assertSame(2, $stats['done'], json_encode($stats) ?: '');
    $this->assertSame(0, $this->queue->count());
    $this->assertSame([(string) $this->links->load(41)->entraId], $this->members(self::STAFF));
  }

  public function testAManualSyncQueuesTheMembershipsOfTheNewAccount(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['provision_rules' => [['role' => 'staff', 'group_id' => self::STAFF]]]);
    $this->users->add(44, 'lena', 'lena@example.com');
    $this->users->users[44]['roles'] = ['authenticated', 'staff'];
    $outcome = $this->provisioner->provisionNow(44);
    $this->assertSame(Outcome::DONE, $outcome->status, $outcome->message);
    $this->assertSame([['op' => QueueItem::OP_MEMBERSHIPS, 'add' => [self::STAFF]]], array_map(static fn (array $d): array => ['op' => $d['op'], 'add' => $d['groups']['add']], $this->queue->data()));
    $this->drain();
    $this->assertSame([(string) $this->links->load(44)->entraId], $this->members(self::STAFF));
  }

  public function testARefusedGroupGetsNoWriteAndIsLoggedAsAFailure(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['provision_rules' => [['role' => 'sales', 'group_id' => self::DYNAMIC]]]);
    $this->users->add(42, 'ivan', 'ivan@example.com');
    $this->lifecycle->onInsert(42, 'ivan', ['authenticated']);
    $this->drain();
    $this->assertTrue($this->saveRoles(42, ['authenticated', 'sales']));
    $emulator->call('DELETE', '/_emulator/requests');
    $outcomes = $this->drain();
    $this->assertSame(Outcome::FAILED, $outcomes[0]->status, $outcomes[0]->message);
    $this->assertSame([self::DYNAMIC], $outcomes[0]->result['refused']);
    $writes = array_filter($this->graphCalls($emulator), static fn (string $l): bool => !str_starts_with($l, 'GET'));
    $this->assertSame([], array_values($writes));
    $this->assertStringContainsString('refused', $this->logDump());
  }

  public function testTheConnectionTestAsksForThePermissionsOfTheGroupFeaturesSwitchedOn(): void {
    $emulator = $this->startEmulator(['--permissions', 'User.ReadWrite.All,GroupMember.Read.All']);
    $this->wireGroups($emulator, []);
    $this->assertSame([], $this->provisioner->testConnection()['missing_permissions'], 'no group rule: users only');
    $this->configure(['groups' => ['provision_rules' => [['role' => 'staff', 'group_id' => self::STAFF]]]]);
    $record = $this->provisioner->testConnection();
    $this->assertSame(['write_group_memberships'], $record['features']);
    $this->assertSame(['GroupMember.ReadWrite.All'], $record['missing_permissions']);
  }

  public function testTheProvisioningScopeKeepsOutsidersOutAndDisablesWhoLeavesIt(): void {
    $emulator = $this->tenant();
    $this->wireGroups($emulator, ['provision_scope' => ['staff']], ['lifecycle' => ['on_cancel' => 'disable']]);
    $this->users->add(43, 'june', 'june@example.com');
    $this->assertFalse($this->lifecycle->onInsert(43, 'june', ['authenticated']), 'no scoped role: not provisioned');
    $this->assertSame([], $this->queue->data());

    // Enters the scope: provisioned.
    $this->assertTrue($this->saveRoles(43, ['authenticated', 'staff']));
    $this->assertSame([QueueItem::OP_PROVISION], array_column($this->queue->data(), 'op'));
    $this->drain();
    $upn = 'june@contoso.onmicrosoft.com';
    $this->assertTrue($this->emulatorUsersNamed($emulator, $upn)[0]['accountEnabled']);

    // Loses its last scoped role: the account-blocked policy (disable).
    $this->assertTrue($this->saveRoles(43, ['authenticated']));
    $this->assertSame([QueueItem::OP_DISABLE], array_column($this->queue->data(), 'op'));
    $this->drain();
    $this->assertFalse($this->emulatorUsersNamed($emulator, $upn)[0]['accountEnabled']);
  }

}
