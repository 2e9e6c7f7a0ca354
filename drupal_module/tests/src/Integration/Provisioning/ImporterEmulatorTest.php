<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\Importer;
use Drupal\entra_provisioning\Provisioning\ImportReport;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Entra ID -> Drupal import against the REAL library and Graph emulator:
 * matching (link, then mail; a name alone is a conflict), creation with a
 * link record, removed users by policy, stored links, resync, and no echo
 * back to Entra ID.
 */
final class ImporterEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private const MEGAN = 'megan@contoso.onmicrosoft.com|Megan Bowen|megan@contoso.com';
  private const NEW_PERSON = 'new.person@contoso.onmicrosoft.com|New Person|new.person@contoso.com';

  /**
   * Wires the services with the import on and the user "hooks" of the fake
   * account store forwarded to Lifecycle, with every Drupal -> Entra
   * option on, so an echo would show up in the queue.
   *
   * @param array<string, mixed> $config
   */
  private function wireImport(EmulatorProcess $emulator, array $config = []): void {
    $this->wire($emulator, array_replace_recursive([
      'direction' => ['drupal_to_entra' => TRUE, 'entra_to_drupal' => TRUE],
      'provisioning' => ['auto_create' => TRUE],
      'lifecycle' => ['update' => TRUE, 'sync_status' => TRUE, 'on_cancel' => 'delete', 'on_delete' => 'delete'],
    ], $config));
    $this->accounts->onInsert = function (int $uid, string $name): void {
      $this->lifecycle->onInsert($uid, $name);
    };
    $this->accounts->onUpdate = function (int $uid, string $name, array $before, array $after): void {
      $this->lifecycle->onUpdate($uid, $name, $before, $after);
    };
    $this->accounts->onDelete = function (int $uid, string $name): void {
      $this->lifecycle->onDelete($uid, $name);
    };
  }

  /**
   * @return array<string, string>
   *   Lower-case UPN => Entra object id.
   */
  private static function ids(EmulatorProcess $emulator): array {
    $ids = [];
    foreach (self::emulatorUsers($emulator) as $user) {
      $ids[strtolower((string) $user['userPrincipalName'])] = (string) $user['id'];
    }

    return $ids;
  }

  public function testMatchesByLinkAndAMailOrNameMatchWaitsForAnAdmin(): void {
    $emulator = $this->startEmulator(['--seed-user', self::MEGAN, '--seed-user', self::NEW_PERSON]);
    $this->wireImport($emulator);
    $ids = self::ids($emulator);
    // Adele has a Drupal account with her address (another case, another name).
    $this->accounts->add(5, 'adele.v', 'ADELE@contoso.com');
    // Someone else is called "megan" in Drupal.
    $this->accounts->add(6, 'megan', 'megan.other@example.com');

    $report = $this->importer->run();
    $this->assertNull($report->error, json_encode($report->error) ?: '');
    $this->assertTrue($report->completed);
    $this->assertSame(0, $report->counts[ImportReport::LINKED]);
    $this->assertSame(2, $report->counts[ImportReport::REVIEW], 'a mail and a name match, both proposed');
    $this->assertSame(1, $report->counts[ImportReport::CREATED]);
    $this->assertSame(0, $report->exitCode(), 'a pending match is not a failure');

    // Neither account was linked or changed.
    $this->assertSame('adele.v', $this->accounts->accounts[5]['name']);
    $this->assertSame('ADELE@contoso.com', $this->accounts->accounts[5]['mail']);
    $this->assertSame('megan.other@example.com', $this->accounts->accounts[6]['mail']);
    $this->assertNull($this->links->load(5));
    $this->assertNull($this->links->load(6));
    $pending = $this->matcher->pending();
    $this->assertSame(['mail', 'name'], array_map(static fn ($m): string => $m->matchedOn(), $pending));
    $this->assertSame([5, 6], array_map(static fn ($m): int => $m->uid, $pending));

    // No match at all: created and linked.
    $created = $this->links->loadByEntraId($ids['new.person@contoso.onmicrosoft.com']);
    $this->assertNotNull($created);
    $this->assertSame(LinkRecord::PROVENANCE_CREATED, $created->provenance);
    $this->assertSame('new.person', $this->accounts->accounts[$created->uid]['name']);
    $this->assertSame('new.person@contoso.com', $this->accounts->accounts[$created->uid]['mail']);
    $this->assertSame(1, $this->accounts->accounts[$created->uid]['status']);
    $this->assertTrue($created->isLinked(), 'linked, so Drupal -> Entra never creates it again');

    // Saving imported accounts queued nothing for Entra ID.
    $this->assertSame([], $this->queue->data());

    // State: the round is complete and its delta link stored.
    $this->assertIsString($this->state->get(Importer::STATE_DELTA_LINK));
    $this->assertNull($this->state->get(Importer::STATE_NEXT_LINK));
    $this->assertSame($this->clock->getCurrentTime(), $this->state->get(Importer::STATE_LAST_DELTA_SYNC));
    $this->assertTrue($this->importer->lastRun()['ok']);

    // The admin approves Adele's match and rejects Megan's.
    $this->assertSame('done', $this->matcher->approve($pending[0]->id)->status);
    $this->assertSame('done', $this->matcher->reject($pending[1]->id)->status);
    $link = $this->links->load(5);
    $this->assertSame($ids['adele@contoso.onmicrosoft.com'], $link->entraId);
    $this->assertSame(LinkRecord::PROVENANCE_APPROVED, $link->provenance);
    $this->assertSame('adele', $this->accounts->accounts[5]['name'], 'approved: brought in step');

    // The next run matches by link record: the mail changed in Drupal
    // does not matter any more, and nothing is created twice; Megan's
    // rejected match is not proposed again.
    $this->accounts->accounts[5]['mail'] = 'adele.private@example.com';
    $again = $this->importer->run(TRUE);
    $this->assertSame(0, $again->counts[ImportReport::CREATED]);
    $this->assertSame(0, $again->counts[ImportReport::LINKED]);
    $this->assertSame(0, $again->counts[ImportReport::REVIEW]);
    $this->assertSame('adele@contoso.com', $this->accounts->accounts[5]['mail'], 'matched by link, mail brought back in step');
    $this->assertCount(3, $this->accounts->accounts, "adele (linked), megan (rejected), new.person (created)");
    $this->assertSame([], $this->queue->data());
  }

  public function testAnEchoWouldBeVisible(): void {
    // The control of the test above: the same store writes, outside the
    // import, do reach the queue.
    $emulator = $this->startEmulator();
    $this->wireImport($emulator);
    $this->accounts->add(7, 'local', 'local@example.com');
    $this->links->save(LinkRecord::succeeded(NULL, 7, 'created', 'oid-7', 'local@contoso.onmicrosoft.com', NULL, 1));
    $this->accounts->update(7, ['name' => 'local2']);
    $this->assertSame(['update'], array_column($this->queue->data(), 'op'));
  }

  public function testRemovedUsersFollowThePolicy(): void {
    $emulator = $this->startEmulator(['--seed-user', self::MEGAN, '--seed-user', self::NEW_PERSON]);
    $this->wireImport($emulator, ['import' => ['removed' => 'delete']]);
    $this->assertTrue($this->importer->run()->completed);
    $ids = self::ids($emulator);
    $native = $this->native($emulator->clientConfig());
    $megan = $this->links->loadByEntraId($ids['megan@contoso.onmicrosoft.com']);
    $newPerson = $this->links->loadByEntraId($ids['new.person@contoso.onmicrosoft.com']);

    // Soft delete in Entra (restorable): blocked, still linked.
    $native->deleteUser($ids['megan@contoso.onmicrosoft.com']);
    $report = $this->importer->run();
    $this->assertSame(1, $report->counts[ImportReport::BLOCKED], json_encode($report->rows) ?: '');
    $this->assertSame(0, $this->accounts->accounts[$megan->uid]['status']);
    $this->assertSame('removed_in_entra', $this->links->load($megan->uid)->lastAction);
    $this->assertTrue($this->links->load($megan->uid)->isLinked(), 'a restore can match it again');

    // Permanent delete: with the "delete" policy the account goes.
    $native->deleteUser($ids['new.person@contoso.onmicrosoft.com']);
    $this->purge($emulator, $ids['new.person@contoso.onmicrosoft.com']);
    $report = $this->importer->run();
    $this->assertSame(1, $report->counts[ImportReport::DELETED], json_encode($report->rows) ?: '');
    $this->assertArrayNotHasKey($newPerson->uid, $this->accounts->accounts);
    $this->assertNull($this->links->load($newPerson->uid));

    // Blocking and deleting accounts during the import queued nothing
    // (on_delete is "delete": an echo would queue a delete).
    $this->assertSame([], $this->queue->data());
  }

  /**
   * @return array<string, array{0: string, 1: int, 2: bool}>
   */
  public function softDeletePolicies(): array {
    return [
      'block' => ['block', 0, TRUE],
      'none' => ['none', 1, TRUE],
    ];
  }

  /**
   * @dataProvider softDeletePolicies
   */
  public function testASoftDeleteByPolicy(string $policy, int $status, bool $stillLinked): void {
    $emulator = $this->startEmulator(['--seed-user', self::MEGAN]);
    $this->wireImport($emulator, ['import' => ['removed' => $policy]]);
    $this->importer->run();
    $id = self::ids($emulator)['megan@contoso.onmicrosoft.com'];
    $uid = $this->links->loadByEntraId($id)->uid;
    $this->native($emulator->clientConfig())->deleteUser($id);
    $report = $this->importer->run();
    $this->assertSame($status, $this->accounts->accounts[$uid]['status']);
    $this->assertSame($stillLinked, $this->links->load($uid)->isLinked());
    $this->assertSame($policy === 'none' ? 1 : 0, $report->counts[ImportReport::SKIPPED]);
  }

  public function testAnExpiredDeltaLinkRestartsAFullRound(): void {
    $emulator = $this->startEmulator();
    $this->wireImport($emulator);
    $this->importer->run();
    $link = (string) $this->state->get(Importer::STATE_DELTA_LINK);
    $this->state->set(Importer::STATE_DELTA_LINK, (string) preg_replace('/(deltatoken=)[^&]+/', '$1expired0000', $link));
    $report = $this->importer->run();
    $this->assertSame(1, $report->resyncs);
    $this->assertTrue($report->completed);
    $this->assertNull($report->error);
    $this->assertSame(1, $report->counts[ImportReport::UNCHANGED], 'adele read again, matched by her link');
    $this->assertNotSame($link, $this->state->get(Importer::STATE_DELTA_LINK));
    $this->assertTrue($this->logger->hasWarningThatContains('expired'));
  }

  public function testALongRoundIsContinuedFromTheStoredNextLink(): void {
    $emulator = $this->startEmulator();
    for ($i = 1; $i <= 130; $i++) {
      $emulator->call('POST', '/_emulator/users', ['userPrincipalName' => sprintf('bulk%03d@contoso.onmicrosoft.com', $i), 'displayName' => 'Bulk ' . $i, 'mail' => sprintf('bulk%03d@contoso.com', $i)]);
    }
    $this->wireImport($emulator, ['import' => ['pages_per_call' => 1]]);
    // A budget of 0 s: one library call (one Graph page), then stop.
    $first = $this->importer->run(FALSE, FALSE, 0.0);
    $this->assertSame(1, $first->calls);
    $this->assertFalse($first->completed);
    $this->assertIsString($this->state->get(Importer::STATE_NEXT_LINK));
    $this->assertNull($this->state->get(Importer::STATE_DELTA_LINK));
    $createdFirst = $first->counts[ImportReport::CREATED];
    $this->assertGreaterThan(0, $createdFirst);
    $this->assertLessThan(131, $createdFirst);

    $second = $this->importer->run();
    $this->assertTrue($second->completed);
    $this->assertSame(131, $createdFirst + $second->counts[ImportReport::CREATED], 'every user once, none twice');
    $this->assertCount(131, $this->accounts->accounts);
    $this->assertNull($this->state->get(Importer::STATE_NEXT_LINK));
    $this->assertIsString($this->state->get(Importer::STATE_DELTA_LINK));
  }

  public function testADryRunWritesNothing(): void {
    $emulator = $this->startEmulator(['--seed-user', self::MEGAN]);
    $this->wireImport($emulator);
    $this->accounts->add(5, 'adele.v', 'adele@contoso.com');
    $report = $this->importer->run(FALSE, TRUE);
    $this->assertTrue($report->completed);
    $this->assertSame(1, $report->counts[ImportReport::REVIEW]);
    $this->assertSame(1, $report->counts[ImportReport::CREATED]);
    $this->assertStringContainsString('Would create', implode(' ', array_column($report->rows, 'detail')));
    $this->assertSame([], $this->matches->matches, 'a dry run proposes nothing');
    $this->assertCount(1, $this->accounts->accounts);
    $this->assertSame('adele.v', $this->accounts->accounts[5]['name']);
    $this->assertSame([], $this->links->records);
    $this->assertSame([ClientFactory::STATE_SECRET], array_keys($this->state->values), "no link or run stored");
    $this->assertNull($this->importer->lastRun());
  }

  public function testTheImportNeedsItsDirectionAndReportsGraphErrors(): void {
    $emulator = $this->startEmulator();
    $this->wireImport($emulator, ['direction' => ['entra_to_drupal' => FALSE]]);
    $off = $this->importer->run();
    $this->assertSame('config', $off->error['kind']);
    $this->assertSame(1, $off->exitCode());
    $this->assertFalse($this->importer->isDue());

    $this->configure(['direction' => ['entra_to_drupal' => TRUE]]);
    $this->assertTrue($this->importer->isDue());
    $emulator->addFault(['path_contains' => '/users/delta', 'status' => 403, 'code' => 'Authorization_RequestDenied', 'message' => 'Insufficient privileges to complete the operation.']);
    $denied = $this->importer->run();
    $this->assertSame('permission', $denied->error['kind']);
    $this->assertSame(1, $denied->exitCode());
    $this->assertFalse($this->importer->lastRun()['ok']);
    $this->assertTrue($this->logger->hasErrorThatContains('Entra ID import stopped'));
    // Cron waits for the interval after a failed run too.
    $this->assertFalse($this->importer->isDue());
    $this->clock->advance(3600);
    $this->assertTrue($this->importer->isDue());
  }

  public function testTheConnectionTestNamesTheMissingPermissionForTheChosenDirections(): void {
    $emulator = $this->startEmulator(['--permissions', 'User.Read.All']);
    $this->wireImport($emulator);
    $record = $this->provisioner->testConnection();
    $this->assertTrue($record['ok']);
    $this->assertSame(['drupal_to_entra', 'entra_to_drupal'], $record['directions']);
    $this->assertSame(['User.Read.All'], $record['granted_permissions']);
    $this->assertSame(['User.ReadWrite.All'], $record['missing_permissions']);
    $this->assertTrue($this->logger->hasWarningThatContains('lacks'));

    // Import only: User.Read.All is enough.
    $this->configure(['direction' => ['drupal_to_entra' => FALSE]]);
    $record = $this->provisioner->testConnection();
    $this->assertSame([], $record['missing_permissions']);
    $this->assertTrue($this->importer->run()->completed, 'the import works with User.Read.All');
  }

  /**
   * Deletes a soft-deleted user for good (DELETE /directory/deletedItems/{id}).
   */
  private function purge(EmulatorProcess $emulator, string $id): void {
    [$status] = $emulator->graphAsApp('DELETE', '/v1.0/directory/deletedItems/' . $id);
    $this->assertSame(204, $status);
  }

}
