<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\BulkSummary;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Psr\Log\LogLevel;

/**
 * "Sync all users" / "drush entra:provision": chunks through the REAL
 * library's bulk call and the Graph emulator, the summary and exit code.
 */
final class BulkSyncEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  public function testEveryKindOfResultIsCountedAndEachFailureLoggedWithItsCause(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['mapping' => ['properties' => [['field' => 'field_job', 'property' => 'jobTitle']]]]);
    // uid 1, the site's first administrator, is not part of "all users".
    $this->users->add(1, 'admin');
    // Linked before and changed since: updated.
    $this->users->add(11, 'changed', NULL, ['field_job' => 'Intern']);
    $this->assertSame(Outcome::DONE, $this->provisioner->provisionNow(11)->status);
    $this->users->users[11]['fields']['field_job'] = 'Engineer';
    // Linked before, same since: unchanged.
    $this->users->add(12, 'same');
    $this->assertSame(Outcome::DONE, $this->provisioner->provisionNow(12)->status);
    // Exists in Entra, not created by this site: a pending match.
    $this->users->add(13, 'adele', 'adele@contoso.com');
    // New: created.
    $this->users->add(14, 'newbie');
    $this->users->add(15, 'another');
    // Nothing in this name survives the UPN rules: failed.
    $this->users->add(16, '@@ ??', 'bad@example.com');
    // Blocked accounts are not part of "all users" either.
    $this->users->add(17, 'blocked');
    $this->users->users[17]['status'] = 0;
    $before = count($this->requestLog($emulator));

    $progress = [];
    $summary = $this->bulk->run(NULL, 2, static function (BulkSummary $s, int $done, int $total) use (&$progress): void {
      $progress[] = [$done, $total];
    });

    $this->assertSame(['created' => 2, 'linked' => 0, 'updated' => 1, 'unchanged' => 1, 'queued' => 0, 'match pending' => 1, 'failed' => 1], $summary->counts);
    $this->assertSame([[2, 6], [4, 6], [6, 6]], $progress, 'three chunks of two');
    $this->assertSame(1, $summary->exitCode());
    $this->assertSame(16, $summary->failures[0]['uid']);
    $this->assertStringStartsWith('Rejected by Entra ID validation', $summary->failures[0]['cause']);
    $this->assertSame([['created', 2], ['linked', 0], ['updated', 1], ['unchanged', 1], ['match pending', 1], ['failed', 1]], $summary->rows());
    $this->assertSame([], $this->emulatorUsersNamed($emulator, 'admin@contoso.onmicrosoft.com'), 'uid 1 skipped');

    // Creates went through $batch; linked accounts through single updates.
    $batches = array_filter(array_slice($this->requestLog($emulator), $before), static fn (array $e): bool => $e['method'] === 'POST' && str_ends_with((string) $e['path'], '$batch'));
    $this->assertNotEmpty($batches);
    $this->assertSame('Engineer', $this->emulatorUsersNamed($emulator, 'changed@contoso.onmicrosoft.com')[0]['jobTitle']);
    $this->assertCount(1, $this->emulatorUsersNamed($emulator, 'adele@contoso.onmicrosoft.com'), 'not duplicated');
    $this->assertSame('Adele Vance', $this->emulatorUsersNamed($emulator, 'adele@contoso.onmicrosoft.com')[0]['displayName'], 'and not written to');
    $this->assertSame([], $this->emulatorUsersNamed($emulator, 'blocked@contoso.onmicrosoft.com'));

    // Link records and the log.
    $this->assertSame(LinkRecord::RESULT_REVIEW, $this->links->load(13)->lastResult);
    $this->assertFalse($this->links->load(13)->isLinked());
    $this->assertSame('created', $this->links->load(14)->lastAction);
    $this->assertTrue($this->links->load(14)->isLinked());
    $this->assertSame(LinkRecord::RESULT_FAILED, $this->links->load(16)->lastResult);
    $this->assertSame('validation', $this->links->load(16)->lastErrorCode);
    // The memory cache is reset after every chunk.
    $this->assertCount(3, $this->users->cacheResets);

    // With the options, uid 1 and blocked accounts are included.
    $this->assertSame(8, $this->bulk->countActive(new BulkScope(TRUE, TRUE)));
    $this->assertSame(6, $this->bulk->countActive());
    $errors = array_values(array_filter($this->logger->records, static fn (array $r): bool => $r['level'] === LogLevel::ERROR));
    $this->assertCount(1, $errors);
    $this->assertSame(16, $errors[0]['context']['@uid']);
    $this->assertStringContainsString('field', $errors[0]['context']['@error']);
  }

  public function testNamedUsersAndUnknownNames(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(10, 'Jane.Doe');
    $this->users->add(11, 'other');
    $resolved = $this->bulk->resolveNames(['jane.doe', 'nobody', ' ', 'jane.doe']);
    $this->assertSame([10], $resolved['uids']);
    $this->assertSame(['nobody'], $resolved['missing']);
    $summary = $this->bulk->run($resolved['uids'], 100);
    $this->assertSame(1, $summary->counts['created']);
    $this->assertSame(0, $summary->exitCode());
    $this->assertSame([], $this->emulatorUsersNamed($emulator, 'other@contoso.onmicrosoft.com'));
  }

  public function testThrottledUsersAreHandedToTheQueue(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'in_batch' => TRUE, 'status' => 429, 'retry_after_s' => 1]);
    $this->users->add(20, 'later');
    $summary = $this->bulk->run([20], 10);
    $this->assertSame(1, $summary->counts['queued'], json_encode($summary->toArray()) ?: '');
    $this->assertSame(0, $summary->exitCode(), 'queued work is not a failure');
    $this->assertSame(['provision'], array_column($this->queue->data(), 'op'));
    $this->assertTrue($this->logger->hasWarningThatContains('handed to the queue'));
  }

  public function testAChunkWhoseWholeCallFailsForNowIsQueuedAndTheRunStops(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    for ($uid = 40; $uid < 45; $uid++) {
      $this->users->add($uid, 'user' . $uid);
    }
    // Nothing answers: the token request itself fails (transient).
    $emulator->stop();
    $chunks = 0;
    $summary = $this->bulk->run(NULL, 2, static function () use (&$chunks): void {
      $chunks++;
    });
    $this->assertSame(1, $chunks, 'the other chunks would meet the same');
    $this->assertSame(2, $summary->counts['queued'], json_encode($summary->toArray()) ?: '');
    $this->assertSame(0, $summary->counts['failed']);
    $this->assertStringContainsString('the rest was not sent', (string) $summary->aborted);
    $this->assertSame(1, $summary->exitCode(), 'three users were not synchronised');
    $this->assertSame([40, 41], array_column($this->queue->data(), 'uid'));
    $this->assertSame('user40@contoso.onmicrosoft.com', $this->links->load(40)->attemptUpn, 'the retry looks for an account the failed call may have made');
  }

  public function testAPartlyThrottledChunkDoesNotStopTheRun(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    // One create of the first chunk is throttled past the call's budget.
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'in_batch' => TRUE, 'status' => 429, 'retry_after_s' => 1, 'count' => 1]);
    for ($uid = 50; $uid < 54; $uid++) {
      $this->users->add($uid, 'user' . $uid);
    }
    $summary = $this->bulk->run(NULL, 2);
    $this->assertSame(['created' => 3, 'queued' => 1], array_intersect_key($summary->counts, ['created' => 0, 'queued' => 0]), json_encode($summary->toArray()) ?: '');
    $this->assertNull($summary->aborted);
    $this->assertSame(0, $summary->exitCode());
  }

  public function testABlockingErrorStopsTheRun(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, [], [], 'not-the-secret-1234');
    for ($uid = 30; $uid < 35; $uid++) {
      $this->users->add($uid, 'user' . $uid);
    }
    $chunks = 0;
    $summary = $this->bulk->run(NULL, 2, static function () use (&$chunks): void {
      $chunks++;
    });
    $this->assertSame(1, $chunks, 'no point in sending the other chunks');
    $this->assertNotNull($summary->aborted);
    $this->assertStringStartsWith('Authentication failed', (string) $summary->aborted);
    $this->assertSame(2, $summary->counts['failed']);
    $this->assertSame(1, $summary->exitCode());
  }

  public function testThePreviewSendsNothingAndTheRefusals(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(40, 'preview');
    $this->users->add(41, 'linked.before');
    $this->assertSame(Outcome::DONE, $this->provisioner->provisionNow(41)->status);
    $before = count(self::emulatorUsers($emulator));
    $log = count($this->requestLog($emulator));
    $previews = $this->bulk->preview([40, 41, 49]);
    $this->assertSame('[REDACTED]', $previews[0]['body']['passwordProfile']['password']);
    $this->assertNull($previews[0]['linked']);
    $this->assertIsString($previews[1]['linked']);
    $this->assertFalse($previews[2]['ok']);
    $this->assertSame($before, count(self::emulatorUsers($emulator)));
    $this->assertSame($log, count($this->requestLog($emulator)), 'a preview makes no Graph request');

    $this->assertNull($this->bulk->refusal());
    $this->configure(['provisioning' => ['manual_create' => FALSE]]);
    $this->assertStringContainsString('Manual creation is off', (string) $this->bulk->refusal());
    $this->configure(['provisioning' => ['manual_create' => TRUE], 'direction' => ['drupal_to_entra' => FALSE]]);
    $this->assertStringContainsString('Drupal → Entra ID is off', (string) $this->bulk->refusal());
  }

  public function testChunkSizes(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['bulk' => ['chunk_size' => 250]]);
    $this->assertSame(250, $this->bulk->chunkSize());
    $this->assertSame(1000, $this->bulk->chunkSize(1000));
    $this->configure(['bulk' => ['chunk_size' => 5000]]);
    $this->assertSame(1000, $this->bulk->chunkSize(), 'the library refuses more than 1000 per call');
    $this->expectException(\InvalidArgumentException::class);
    $this->bulk->chunkSize(1001);
  }

  public function testTheSummarySurvivesTheBatchApi(): void {
    $a = new BulkSummary();
    $a->add('created');
    $a->fail(3, 'x', 'cause');
    $b = BulkSummary::fromArray(unserialize(serialize($a->toArray())));
    $b->add('updated');
    $b->merge($a);
    $this->assertSame(['created' => 2, 'linked' => 0, 'updated' => 1, 'unchanged' => 0, 'queued' => 0, 'match pending' => 0, 'failed' => 2], $b->counts);
    $this->assertCount(2, $b->failures);
    $this->assertSame(1, $b->exitCode());
    $ok = new BulkSummary();
    $ok->add('unchanged');
    $this->assertSame(0, $ok->exitCode());
    $this->assertSame('0 created, 0 linked, 0 updated, 1 unchanged, 0 failed.', $ok->summary());

    // A chunk Graph could not take stops the run before the next one,
    // also across the Batch API's serialisation.
    $down = new BulkSummary();
    $down->add('queued');
    $down->outage = 'Microsoft Graph could not be reached.';
    $later = BulkSummary::fromArray(unserialize(serialize($down->toArray())));
    $this->assertTrue($later->stopBeforeNextChunk());
    $this->assertStringStartsWith('Microsoft Graph could not be reached.', (string) $later->aborted);
    $recovered = new BulkSummary();
    $recovered->merge($down);
    $recovered->merge(new BulkSummary());
    $this->assertFalse($recovered->stopBeforeNextChunk(), 'a later chunk that went through clears it');
    $this->expectException(\InvalidArgumentException::class);
    $ok->add('failed');
  }

}
