<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Batch\BatchBuilder;
use Drupal\Core\StringTranslation\TranslatableMarkup;
use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\BulkSummary;

/**
 * "Sync all users" on step 3 through the Batch API: one chunk of active
 * accounts per batch request, with the progress bar, and the summary at the
 * end. The decisions are BulkSync's (shared with "drush entra:provision");
 * these static callbacks only carry its state between requests.
 */
final class BulkSyncBatch {

  /**
   * Builds the batch definition for batch_set().
   *
   * @return array<string, mixed>
   */
  public static function build(int $chunkSize, ?BulkScope $scope = NULL): array {
    return (new BatchBuilder())
      ->setTitle(new TranslatableMarkup('Synchronising Drupal accounts with Entra ID'))
      ->setInitMessage(new TranslatableMarkup('Counting the accounts…'))
      ->setProgressMessage(new TranslatableMarkup('Completed @current of @total.'))
      ->setErrorMessage(new TranslatableMarkup('The synchronisation stopped with an error; see Reports > Recent log messages, type user_provisioning.'))
      ->addOperation([self::class, 'process'], [$chunkSize, ($scope ?? new BulkScope())->toArray()])
      ->setFinishCallback([self::class, 'finished'])
      ->toArray();
  }

  /**
   * Implements callback_batch_operation(): one chunk per call.
   *
   * @param array<string, mixed> $scope
   *   BulkScope::toArray() (batch arguments must be serializable arrays).
   * @param array<string, mixed> $context
   */
  public static function process(int $chunkSize, array $scope, &$context): void {
    $inScope = BulkScope::fromArray($scope);
    /** @var \Drupal\entra_provisioning\Provisioning\BulkSync $bulk */
    $bulk = \Drupal::service('entra_provisioning.bulk_sync');
    if (!isset($context['sandbox']['total'])) {
      $context['sandbox']['total'] = $bulk->countActive($inScope);
      $context['sandbox']['after'] = 0;
      $context['sandbox']['done'] = 0;
      $context['results']['summary'] = (new BulkSummary())->toArray();
    }
    $summary = BulkSummary::fromArray($context['results']['summary'] ?? NULL);
    $chunk = $bulk->nextActiveChunk((int) $context['sandbox']['after'], $bulk->chunkSize($chunkSize), $inScope);
    if ($chunk === [] || $summary->stopBeforeNextChunk()) {
      $context['results']['summary'] = $summary->toArray();
      $context['finished'] = 1;

      return;
    }
    $summary->merge($bulk->syncChunk($chunk));
    $context['results']['summary'] = $summary->toArray();
    $context['sandbox']['after'] = max($chunk);
    $context['sandbox']['done'] += count($chunk);
    $total = max((int) $context['sandbox']['total'], (int) $context['sandbox']['done']);
    $context['message'] = new TranslatableMarkup('@done of @total accounts: @summary', [
      '@done' => $context['sandbox']['done'],
      '@total' => $total,
      '@summary' => $summary->summary(),
    ]);
    $context['finished'] = $summary->aborted !== NULL ? 1 : min(0.99, $context['sandbox']['done'] / max(1, $total));
  }

  /**
   * Implements callback_batch_finished().
   *
   * @param bool $success
   * @param array<string, mixed> $results
   * @param array<mixed> $operations
   * @param mixed $elapsed
   */
  public static function finished($success, $results, $operations, $elapsed = NULL): void {
    $messenger = \Drupal::messenger();
    $summary = BulkSummary::fromArray($results['summary'] ?? NULL);
    if (!$success) {
      $messenger->addError(new TranslatableMarkup('The synchronisation did not finish. So far: @summary', ['@summary' => $summary->summary()]));

      return;
    }
    $message = new TranslatableMarkup('Synchronisation with Entra ID finished: @summary', ['@summary' => $summary->summary()]);
    if ($summary->exitCode() === 0) {
      $messenger->addStatus($message);
    }
    else {
      $messenger->addError($message);
      foreach (array_slice($summary->failures, 0, 20) as $failure) {
        $messenger->addError(new TranslatableMarkup('%name (uid @uid): @cause', ['%name' => $failure['name'], '@uid' => $failure['uid'], '@cause' => $failure['cause']]));
      }
      if (count($summary->failures) > 20) {
        $messenger->addError(new TranslatableMarkup('… and @more more; every failure is in Reports > Recent log messages, type user_provisioning.', ['@more' => $summary->counts[BulkSummary::FAILED] - 20]));
      }
    }
  }

}
