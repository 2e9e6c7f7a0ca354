<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Update, block/unblock, disable and delete through the queue, against the
 * REAL library and Graph emulator.
 */
final class LifecycleEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  /**
   * Provisions a user and returns its Entra object id.
   *
   * @param array<string, mixed> $fields
   */
  private function provisioned(int $uid, string $name, array $fields = []): string {
    $this->users->add($uid, $name, $name . '@example.com', $fields);
    $outcome = $this->provisioner->provisionNow($uid);
    $this->assertSame(Outcome::DONE, $outcome->status, $outcome->message);

    return (string) $outcome->result['id'];
  }

  private EmulatorProcess $emulator;

  private function start(): EmulatorProcess {
    $this->emulator = $this->startEmulator();

    return $this->emulator;
  }

  /**
   * The Entra user with this UPN, as the emulator holds it.
   *
   * @return array<string, mixed>
   */
  private function entraUser(string $upn): array {
    $users = $this->emulatorUsersNamed($this->emulator, $upn);
    $this->assertCount(1, $users, $upn);

    return $users[0];
  }

  public function testAnUpdatePatchesOnlyWhatChanged(): void {
    $emulator = $this->start();
    $this->wire($emulator, ['mapping' => ['properties' => [['field' => 'field_job', 'property' => 'jobTitle']]]]);
    $id = $this->provisioned(20, 'changer', ['field_job' => 'Intern']);
    $this->users->users[20]['fields']['field_job'] = 'Engineer';

    $before = count($this->requestLog($emulator));
    $outcome = $this->provisioner->process($this->provisioner->enqueue(QueueItem::OP_UPDATE, 20));
    $this->assertSame(Outcome::DONE, $outcome->status, $outcome->message);
    $this->assertSame('updated', $outcome->result['action']);
    $this->assertSame(['jobTitle'], $outcome->result['updated_properties']);
    $patches = array_values(array_filter(array_slice($this->requestLog($emulator), $before), static fn (array $e): bool => $e['method'] === 'PATCH'));
    $this->assertCount(1, $patches);
    $this->assertSame(['jobTitle' => 'Engineer'], json_decode((string) $patches[0]['body'], TRUE));
    $this->assertSame('Engineer', $this->entraUser('changer@contoso.onmicrosoft.com')['jobTitle']);
    $link = $this->links->load(20);
    $this->assertSame('updated', $link->lastAction);
    $this->assertSame(LinkRecord::RESULT_OK, $link->lastResult);
    $this->assertSame($id, $link->entraId);

    $again = $this->provisioner->process($this->provisioner->enqueue(QueueItem::OP_UPDATE, 20));
    $this->assertSame('unchanged', $again->result['action']);
  }

  public function testAChangedMailReachesEntraOnlyWithMailSyncOn(): void {
    $emulator = $this->start();
    foreach ([22 => FALSE, 23 => TRUE] as $uid => $syncMail) {
      $this->wire($emulator, ['lifecycle' => ['sync_mail' => $syncMail]]);
      $name = 'mover' . $uid;
      $upn = $name . '@contoso.onmicrosoft.com';
      $this->provisioned($uid, $name);
      $this->assertSame($name . '@example.com', $this->entraUser($upn)['mail'], 'mail is sent on create');
      $this->users->users[$uid]['mail'] = 'unverified@example.net';
      $outcome = $this->provisioner->process($this->provisioner->enqueue(QueueItem::OP_UPDATE, $uid));
      $this->assertSame(Outcome::DONE, $outcome->status, $outcome->message);
      if ($syncMail) {
        $this->assertSame(['mail'], $outcome->result['updated_properties']);
        $this->assertSame('unverified@example.net', $this->entraUser($upn)['mail']);
      }
      else {
        $this->assertSame('unchanged', $outcome->result['action']);
        $this->assertSame($name . '@example.com', $this->entraUser($upn)['mail']);
      }
    }
  }

  public function testBlockingLeavesEntraAloneWhenStatusSyncIsOff(): void {
    $emulator = $this->start();
    // Mail sync on, so that the update below has a property to write.
    $this->wire($emulator, ['lifecycle' => ['sync_mail' => TRUE]]);
    $this->provisioned(21, 'blocked');
    $this->users->users[21]['status'] = 0;
    // A profile change of a blocked account: the update must not disable.
    $this->users->users[21]['mail'] = 'blocked2@example.com';
    $outcome = $this->provisioner->process($this->provisioner->enqueue(QueueItem::OP_UPDATE, 21));
    $this->assertSame(Outcome::DONE, $outcome->status, $outcome->message);
    $entra = $this->entraUser('blocked@contoso.onmicrosoft.com');
    $this->assertTrue($entra['accountEnabled'], 'accountEnabled kept');
    $this->assertSame('blocked2@example.com', $entra['mail']);
  }

  public function testBlockingDisablesAndUnblockingEnablesWithStatusSyncOn(): void {
    $emulator = $this->start();
    $this->wire($emulator, ['lifecycle' => ['sync_status' => TRUE]]);
    $this->provisioned(22, 'toggled');
    $before = $this->users->users[22];
    $this->users->users[22]['status'] = 0;
    $this->assertTrue($this->lifecycle->onUpdate(22, 'toggled', $before, $this->users->users[22]));
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $this->assertFalse($this->entraUser('toggled@contoso.onmicrosoft.com')['accountEnabled']);

    $blocked = $this->users->users[22];
    $this->users->users[22]['status'] = 1;
    $this->assertTrue($this->lifecycle->onUpdate(22, 'toggled', $blocked, $this->users->users[22]));
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $this->assertTrue($this->entraUser('toggled@contoso.onmicrosoft.com')['accountEnabled']);
  }

  public function testDisableOnlyTouchesAccountEnabled(): void {
    $emulator = $this->start();
    $this->wire($emulator, ['lifecycle' => ['update' => FALSE, 'sync_status' => TRUE]]);
    $this->provisioned(23, 'disabled');
    $before = $this->users->users[23];
    $this->users->users[23]['status'] = 0;
    $this->users->users[23]['mail'] = 'changed@example.com';
    $this->assertTrue($this->lifecycle->onUpdate(23, 'disabled', $before, $this->users->users[23]));
    $this->assertSame('disable', $this->queue->data()[0]['op']);
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $entra = $this->entraUser('disabled@contoso.onmicrosoft.com');
    $this->assertFalse($entra['accountEnabled']);
    $this->assertSame('disabled@example.com', $entra['mail'], 'update is off: the mail was not sent');
    $this->assertSame('disabled', $this->links->load(23)->lastAction);
    $this->assertTrue($this->links->load(23)->isLinked());

    // Unblocking enables again, and still sends nothing else.
    $blocked = $this->users->users[23];
    $this->users->users[23]['status'] = 1;
    $this->assertTrue($this->lifecycle->onUpdate(23, 'disabled', $blocked, $this->users->users[23]));
    $this->assertSame('enable', $this->queue->data()[0]['op']);
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $entra = $this->entraUser('disabled@contoso.onmicrosoft.com');
    $this->assertTrue($entra['accountEnabled']);
    $this->assertSame('disabled@example.com', $entra['mail']);
    $this->assertSame('enabled', $this->links->load(23)->lastAction);
  }

  public function testDeletingTwiceSucceedsAndUnlinks(): void {
    $emulator = $this->start();
    $this->wire($emulator, ['lifecycle' => ['on_cancel' => 'delete']]);
    $id = $this->provisioned(24, 'gone');
    $this->assertTrue($this->lifecycle->onCancel(24, 'gone', 'user_cancel_block'));
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $link = $this->links->load(24);
    $this->assertFalse($link->isLinked());
    $this->assertSame('deleted', $link->lastAction);

    // A second delete of the same object (e.g. an item queued twice).
    $outcome = $this->provisioner->process(new QueueItem(QueueItem::OP_DELETE, 24, $this->clock->getCurrentTime(), 0, $id, FALSE, LinkRecord::PROVENANCE_CREATED));
    $this->assertSame(Outcome::DONE, $outcome->status, $outcome->message);
    $this->assertSame('already_deleted', $outcome->result['action']);
  }

  public function testAnUpdateOfAnAccountNotLinkedDoesNothing(): void {
    $emulator = $this->start();
    $this->wire($emulator);
    $this->users->add(25, 'never');
    $before = count($this->requestLog($emulator));
    $outcome = $this->provisioner->process(new QueueItem(QueueItem::OP_UPDATE, 25, $this->clock->getCurrentTime()));
    $this->assertSame(Outcome::DONE, $outcome->status);
    $this->assertStringContainsString('not linked', $outcome->message);
    $this->assertSame($before, count($this->requestLog($emulator)));
  }

  public function testAForbiddenChangeOfOneUserDoesNotBlockTheQueue(): void {
    $emulator = $this->start();
    $this->wire($emulator, ['lifecycle' => ['on_cancel' => 'disable']]);
    $id = $this->provisioned(26, 'admin.user');
    $this->provisioned(27, 'normal.user');
    // Entra refuses to change a user holding an admin role.
    $emulator->addFault(['method' => 'PATCH', 'path_contains' => $id, 'status' => 403, 'code' => 'Authorization_RequestDenied', 'message' => 'Insufficient privileges to complete the operation.']);
    $this->assertTrue($this->lifecycle->onCancel(26, 'admin.user', 'user_cancel_block'));
    $this->assertTrue($this->lifecycle->onCancel(27, 'normal.user', 'user_cancel_block'));
    $stats = $this->runner->run(10.0);
    $this->assertSame(0, $stats['blocked'], json_encode($stats) ?: '');
    $this->assertSame(1, $stats['failed']);
    $this->assertSame(1, $stats['done']);
    $this->assertSame(LinkRecord::RESULT_FAILED, $this->links->load(26)->lastResult);
    $this->assertSame('Authorization_RequestDenied', $this->links->load(26)->lastErrorCode);
    $this->assertFalse($this->entraUser('normal.user@contoso.onmicrosoft.com')['accountEnabled']);
    $this->assertTrue($this->logger->hasErrorThatContains('Entra ID @action of %name (uid @uid) failed'));
  }

  public function testThrottledUpdateInBulkIsHandedToTheQueue(): void {
    $emulator = $this->start();
    $this->wire($emulator);
    $this->provisioned(28, 'busy');
    $emulator->addFault(['method' => 'GET', 'path_contains' => '/users/', 'status' => 429, 'retry_after_s' => 2]);
    $outcome = $this->provisioner->updateNow(28);
    $this->assertSame(Outcome::RETRY, $outcome->status, $outcome->message);
    $this->assertSame('update', $this->queue->data()[0]['op']);
    $this->assertSame(LinkRecord::RESULT_PENDING, $this->links->load(28)->lastResult);
  }

}
